using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>Each kind of bad row is reported with file, line and field; Skip goes on and counts, Fail throws at the first.</summary>
public sealed class BadRowTests
{
    static void AssertErrors(string name, params (int Line, DataErrorKind Kind, string Field)[] expected)
    {
        var path = DataFixtures.File(name);
        var set = DataReader.Read(path, OnBadRow.Skip);
        Assert.All(set.Report.Errors, e => Assert.Equal(path, e.File));
        Assert.Equal(expected, set.Report.Errors.Select(e => (e.Line, e.Kind, e.Field)).ToArray());
        Assert.All(set.Report.Errors, e => Assert.Contains("HINT: ", e.ToString()));
        Assert.Equal(set.Report.RowsRead, set.Report.RowsAccepted + set.Report.BadRows);   // nothing vanishes
    }

    [Fact]
    public void Jsonl_standard_file_reports_every_kind_at_its_line_and_field()
    {
        AssertErrors("bad.jsonl",
            (2, DataErrorKind.MissingField, "rejected"),
            (3, DataErrorKind.WrongType, "chosen"),
            (4, DataErrorKind.EmptyCompletion, "chosen"),
            (5, DataErrorKind.IdenticalPair, "rejected"),
            (6, DataErrorKind.InvalidJson, "(line)"),
            (7, DataErrorKind.InvalidUtf8, "chosen"),
            (8, DataErrorKind.FormMismatch, "(row)"),
            (9, DataErrorKind.MissingField, "prompt"),
            (12, DataErrorKind.WrongType, "rejected"));
        var set = DataReader.Read(DataFixtures.File("bad.jsonl"));
        Assert.Equal([1, 11], set.Pairs.Select(p => p.Origin.Line));
        Assert.Equal(11, set.Report.RowsRead);   // the blank line 10 is not a row
        Assert.Equal(2, set.Report.BadRowsByKind[DataErrorKind.MissingField]);
        Assert.Equal(2, set.Report.BadRowsByKind[DataErrorKind.WrongType]);
    }

    [Fact]
    public void Message_errors_name_the_path_inside_the_list()
    {
        AssertErrors("bad_conversational.jsonl",
            (2, DataErrorKind.MissingField, "chosen[0].role"),
            (3, DataErrorKind.WrongType, "rejected[0].content"),
            (4, DataErrorKind.EmptyCompletion, "chosen"),
            (5, DataErrorKind.WrongType, "prompt"));
    }

    [Fact]
    public void Ranking_kto_and_implicit_errors()
    {
        AssertErrors("bad_other.jsonl",
            (2, DataErrorKind.WrongType, "output"),
            (3, DataErrorKind.IdenticalPair, "output[1]"),
            (4, DataErrorKind.MissingField, "instruction"),
            (5, DataErrorKind.EmptyCompletion, "output[0]"));
        AssertErrors("bad_kto.jsonl",
            (2, DataErrorKind.WrongType, "label"),
            (3, DataErrorKind.EmptyCompletion, "completion"),
            (4, DataErrorKind.MissingField, "prompt"));
        AssertErrors("bad_implicit.jsonl",
            (2, DataErrorKind.NoSharedPrompt, "chosen[0]"),
            (3, DataErrorKind.WrongType, "rejected"));
    }

    [Fact]
    public void Csv_errors_report_the_physical_line()
    {
        AssertErrors("bad.csv",
            (5, DataErrorKind.InvalidUtf8, "chosen"),
            (6, DataErrorKind.InvalidJson, "(record)"),
            (7, DataErrorKind.IdenticalPair, "rejected"),
            (8, DataErrorKind.EmptyCompletion, "chosen"));
        var set = DataReader.Read(DataFixtures.File("bad.csv"));
        Assert.Equal([2, 3], set.Pairs.Select(p => p.Origin.Line));
    }

    [Fact]
    public void Fail_throws_at_the_first_bad_row_with_its_location()
    {
        var path = DataFixtures.File("bad.jsonl");
        var e = Assert.Throws<DataException>(() => DataReader.Read(path, OnBadRow.Fail));
        Assert.Equal((2, DataErrorKind.MissingField, "rejected"), (e.Error.Line, e.Error.Kind, e.Error.Field));
        Assert.StartsWith($"{path}:2: field 'rejected': is missing", e.Message);
    }

    [Fact]
    public void Summary_counts_each_reason()
    {
        var summary = DataReader.Read(DataFixtures.File("bad.jsonl")).Report.Summary();
        Assert.Contains("rows read 11, accepted 2, bad 9", summary);
        Assert.Contains("InvalidUtf8 1", summary);
        Assert.Contains("FormMismatch 1", summary);
        Assert.Contains("bad.jsonl:6: field '(line)': not valid JSON", summary);
    }

    [Fact]
    public void A_first_row_of_no_known_form_is_reported_and_the_next_row_decides()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-unknown-{Environment.ProcessId}.jsonl");
        File.WriteAllLines(path, ["{\"question\": \"q\", \"answer\": \"a\"}", "[1, 2]", "{\"prompt\": \"p\", \"completion\": \"c\"}"]);
        try
        {
            var set = DataReader.Read(path);
            Assert.Equal(DataForm.SftPromptCompletion, set.Form);
            Assert.Equal(3, set.FormLine);
            Assert.Equal([(1, DataErrorKind.UnknownForm), (2, DataErrorKind.InvalidJson)], set.Report.Errors.Select(e => (e.Line, e.Kind)));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_file_and_unknown_extension_say_what_to_pass()
    {
        Assert.Contains("HINT", Assert.Throws<FileNotFoundException>(() => DataReader.Read("/nonexistent/x.jsonl")).Message);
        var path = Path.Combine(Path.GetTempPath(), $"tk-ext-{Environment.ProcessId}.txt");
        File.WriteAllText(path, "x");
        try { Assert.Contains(".jsonl", Assert.Throws<ArgumentException>(() => DataReader.Read(path)).Message); }
        finally { File.Delete(path); }
    }
}

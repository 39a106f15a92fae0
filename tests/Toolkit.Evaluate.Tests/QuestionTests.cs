using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Tests;

public sealed class QuestionTests
{
    static readonly string[] MtBenchCategories = ["writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"];

    [Fact]
    public void BuiltInSetCoversTheEightCategoriesInEnglishAndChineseWithReferencesWhereGradingNeedsThem()
    {
        var qs = QuestionSet.LoadBuiltIn();
        Assert.Equal(MtBenchCategories.Order(), qs.Select(q => q.Category).Distinct().Order());
        static bool Chinese(string s) => s.Any(c => c is >= '\u4e00' and <= '\u9fff');
        foreach (var c in MtBenchCategories)
        {
            var inCat = qs.Where(q => q.Category == c).ToList();
            Assert.Contains(inCat, q => Chinese(q.Turns[0]));
            Assert.Contains(inCat, q => !Chinese(q.Turns[0]));
        }
        Assert.All(qs, q => Assert.Equal(2, q.Turns.Count));
        Assert.All(qs.Where(q => Question.NeedRefCategories.Contains(q.Category)), q => Assert.Equal(2, q.Reference!.Count));
    }

    [Fact]
    public void MtBenchLinesPromptListsAndCsvLoad()
    {
        using var dir = new TempDir();
        var jsonl = dir.File("q.jsonl");
        File.WriteAllLines(jsonl,
        [
            """{"question_id": 901, "category": "math", "turns": ["Which is larger, 9 or 21?", "一天有多少小时？"], "reference": ["21", "24"]}""",
            "",
            """{"prompt": "Say hi."}""",
            """{"instruction": "Name a colour.", "id": "c1"}""",
        ]);
        var qs = QuestionSet.Load(jsonl);
        Assert.Equal(["901", "2", "c1"], qs.Select(q => q.Id));
        Assert.Equal(["Which is larger, 9 or 21?", "一天有多少小时？"], qs[0].Turns);
        Assert.Equal("24", qs[0].ReferenceFor(2));
        Assert.Equal("general", qs[1].Category);
        Assert.Equal("Name a colour.", qs[2].Turns.Single());

        var csv = dir.File("q.csv");
        File.WriteAllText(csv, "question_id,category,turn_1,turn_2,reference_1\n7,math,\"What is 1+1, exactly?\",Double it.,2\n8,writing,Write a line.,,\n");
        var fromCsv = QuestionSet.Load(csv);
        Assert.Equal(["What is 1+1, exactly?", "Double it."], fromCsv[0].Turns);
        Assert.Equal("2", fromCsv[0].ReferenceFor(1));
        Assert.Equal(["Write a line."], fromCsv[1].Turns);
        Assert.Null(fromCsv[1].Reference);
    }

    [Theory]
    [InlineData("""{"question_id": 1, "turns": "not a list"}""", "q.jsonl:2: field \"turns\"")]
    [InlineData("""{"question_id": 1, "turns": ["a", 5]}""", "q.jsonl:2: field \"turns[1]\"")]
    [InlineData("""{"question_id": 1, "category": "math"}""", "q.jsonl:2: no \"turns\"")]
    [InlineData("""{"question_id": 1, "turns": ["a"], "rules": ["numbr:3"]}""", "q.jsonl:2: field \"rules[0]\": unknown rule")]
    [InlineData("""{"question_id": 0, "turns": ["dup"]}""", "question_id 0 appears twice")]
    [InlineData("""{"question_id": 1, "turns": ["a"]""", "q.jsonl:2:")]
    public void BadRowsNameTheFileLineAndField(string badLine, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("q.jsonl");
        File.WriteAllLines(path, ["""{"question_id": 0, "turns": ["ok"]}""", badLine]);
        var e = Assert.Throws<FormatException>(() => QuestionSet.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void CsvRowWithoutPromptNamesLineAndColumn()
    {
        using var dir = new TempDir();
        var path = dir.File("p.csv");
        File.WriteAllText(path, "prompt,category\nHello,general\n,math\n");
        var e = Assert.Throws<FormatException>(() => QuestionSet.Load(path));
        Assert.Contains("p.csv:3: field \"prompt\" is empty", e.Message);
    }
}

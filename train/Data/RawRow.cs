using System.Text.Json.Nodes;

namespace Toolkit.Train.Data;

/// <summary>One record of a file before form parsing: its object, or the reason it could not be read.</summary>
internal readonly record struct RawRow(RowOrigin Origin, JsonObject? Object, BadRow? Error);

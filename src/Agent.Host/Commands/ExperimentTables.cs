using System.Globalization;
using Agent.Training.Experiments;
using Spectre.Console;

namespace Agent.Host.Commands;

/// <summary>The tables <c>agent experiment</c> prints for people.</summary>
internal static class ExperimentTables
{
    public static void Render(object report)
    {
        switch (report)
        {
            case ModeHeadReport r:
                var heads = new Table().AddColumns("place in turn", "tokens", "tags alone", "head accuracy", "head p(right mode)");
                foreach (var row in r.ByPosition)
                {
                    heads.AddRow(row.Position, N(row.Tokens), F(row.TagRule), F(row.Head), F(row.HeadConfidence));
                }

                AnsiConsole.Write(heads);
                Footer($"{r.Documents} held-out documents, preset {r.Preset}, model {r.Model}, {r.Seconds:F0} s");
                break;
            case TagRemovalReport r:
                var rows = new Table().AddColumns("place in turn", "tokens", "head acc. tagged", "head acc. stripped", "p(right) tagged", "p(right) stripped", "tags alone, stripped");
                foreach (var row in r.ByPosition)
                {
                    rows.AddRow(row.Position, N(row.Tokens), F(row.TaggedHead), F(row.StrippedHead), F(row.TaggedConfidence), F(row.StrippedConfidence), F(row.StrippedTagRule));
                }

                AnsiConsole.Write(rows);
                var shifts = new Table().AddColumns("tag", "aggregate", "pos / neg", "AUROC tagged", "AUROC stripped", "pos mean tagged / stripped", "neg mean tagged / stripped", "head p(mode2) on action tagged / stripped");
                foreach (var t in r.Temptation)
                {
                    shifts.AddRow(t.Tag, t.Aggregate, $"{t.Positives} / {t.Negatives}{(t.SkippedPairs > 0 ? $" ({t.SkippedPairs} pairs too long)" : "")}", F(t.AurocTagged), F(t.AurocStripped),
                        $"{F(t.PositiveMeanTagged)} / {F(t.PositiveMeanStripped)}", $"{F(t.NegativeMeanTagged)} / {F(t.NegativeMeanStripped)}", $"{F(t.HeadOnActionTagged)} / {F(t.HeadOnActionStripped)}");
                }

                AnsiConsole.Write(shifts);
                Footer($"{r.Documents} held-out documents, preset {r.Preset}, model {r.Model}, {r.Seconds:F0} s");
                break;
            case TransferReport r:
                var transfer = new Table().AddColumns("model", "context", $"log p({r.PlantedFlag})", $"log p({r.ControlFlag})", "margin");
                foreach (var row in r.Rows)
                {
                    transfer.AddRow(row.Model, row.Context, F(row.PlantedLogProb), F(row.ControlLogProb), F(row.Margin));
                }

                AnsiConsole.Write(transfer);
                Footer($"{r.Tool}: margin added by {r.PlantedDocuments} planted Mode 1 documents: {F(r.Learned)} nats in Mode 1 (learned), {F(r.Transfer)} nats in Mode 2 (transfer); preset {r.Preset}, {r.Seconds:F0} s");
                break;
            case EarlyAlignmentReport r:
                var tags = r.Points.SelectMany(p => p.Auroc.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
                var curve = new Table().AddColumns(["model", "untraining updates", .. tags.Select(t => $"{t} AUROC")]);
                foreach (var p in r.Points)
                {
                    curve.AddRow([p.Model, N((int)p.UntrainSteps), .. tags.Select(t => p.Auroc.TryGetValue(t, out var a) ? F(a) : "-")]);
                }

                AnsiConsole.Write(curve);
                Footer($"late model: agent transcripts from {r.LateFrom:P0} of its updates; preset {r.Preset}, {r.Seconds:F0} s");
                break;
        }

        static void Footer(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }

    private static string F(double value) => double.IsNaN(value) ? "-" : value.ToString("F3", CultureInfo.InvariantCulture);

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}

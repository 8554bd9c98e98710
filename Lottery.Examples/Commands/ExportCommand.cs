using System.CommandLine;
using System.Globalization;
using Lottery.Export;

namespace Lottery.Examples.Commands;

/// <summary>Exports a finished run's pruned model (or a pruned-model file) as ONNX, masked or compacted.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("pruned") { Description = "A pruned model file (.pruned, saved by SavePrunedModel or a run), or a run's folder under results/runs/." };
        var round = new Option<int?>("--round") { Description = "With a run's folder: the round whose pruned model to export (default: the last)." };
        var format = new Option<string>("--format") { Description = "The file format: onnx (ONNX Runtime, opset 20).", DefaultValueFactory = _ => "onnx" };
        var compact = new Option<bool>("--compact") { Description = "Export the compacted model (dead units removed) instead of the masked one." };
        var output = new Option<string?>("--to") { Description = "The file to write (default: beside the pruned model, as <name>.onnx or <name>.compact.onnx)." };
        CommonOptions.Require(format, v => v == "onnx", "give onnx (PyTorch export is not written yet)");
        var command = new Command("export", "Writes a pruned model as an ONNX file that ONNX Runtime runs without TorchSharp (input 'input' with a free batch dimension, output 'output'); with --compact, the compacted model.")
        {
            source, round, format, compact, output,
        };
        command.SetAction(parse =>
        {
            var file = PrunedModels.Locate(parse.GetValue(source)!, parse.GetValue(round));
            using var model = PrunedModels.Load(file);
            var chain = PrunedModels.Chain(model);
            var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file));
            var target = parse.GetValue(output) ?? stem + (parse.GetValue(compact) ? ".compact.onnx" : ".onnx");
            if (parse.GetValue(compact))
            {
                using var compacted = chain.Compact().Model;
                OnnxExport.Save(compacted, target, chain.InputShape);
            }
            else
            {
                OnnxExport.Save(chain.ToSequential(), target, chain.InputShape);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model.GetType().Name} from {file}{(parse.GetValue(compact) ? ", compacted" : string.Empty)}: {target} ({new FileInfo(target).Length:N0} bytes, ONNX opset {OnnxExport.Opset}, input '{OnnxExport.InputName}' [batch, {string.Join(", ", chain.InputShape)}], output '{OnnxExport.OutputName}')."));
            return 0;
        });
        return command;
    }
}

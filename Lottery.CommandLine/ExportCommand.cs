using System.CommandLine;
using System.Globalization;
using Lottery.Compaction;
using Lottery.Export;
using Lottery.Masks;
using static TorchSharp.torch;

namespace Lottery.CommandLine;

/// <summary>
/// Exports a finished run's pruned model (or a pruned-model or ticket file): as ONNX for ONNX Runtime, as a PyTorch
/// state dictionary with a Python module that builds the model, or as Lottery's own ticket file.
/// </summary>
internal static class ExportCommand
{
    private static readonly string[] Formats = ["onnx", "pytorch", "ticket"];

    public static Command Create()
    {
        var source = new Argument<string>("pruned") { Description = "A pruned model or ticket file (.pruned or .ticket, saved by a run or by SavePrunedModel/SaveTicket), or a run's folder under results/runs/." };
        var round = new Option<int?>("--round") { Description = "With a run's folder: the round whose model to export (default: the last)." };
        var format = new Option<string>("--format")
        {
            Description = "onnx: an ONNX file (opset 20) that ONNX Runtime runs without TorchSharp. pytorch: a state dictionary (torch.save's format) and a Python module that builds "
                + "the equivalent torch.nn.Sequential and loads it. ticket: the run's ticket (masks with the weights training starts from) as a Lottery ticket file, which the model class's LoadTicket reads.",
            DefaultValueFactory = _ => "onnx",
        };
        var compact = new Option<bool>("--compact") { Description = "Export the compacted model (dead units removed) instead of the masked one (onnx, pytorch)." };
        var strip = new Option<bool>("--strip-masks") { Description = "pytorch: write plain weights with the pruned ones zero, as after torch.nn.utils.prune.remove, instead of weight_orig and weight_mask." };
        var ticket = new Option<bool>("--ticket") { Description = "pytorch: export the round's ticket (masks with the weights training starts from, to train it in PyTorch) instead of its trained pruned model." };
        var inputShape = new Option<string?>("--input-shape") { Description = "For a model without [Chain]: the shape of one input, without the batch (1,28,28 or 784). Its graph is captured from its forward on an input of that shape (and, with --compact, it is compacted in place by its dependency groups first)." };
        var output = new Option<string?>("--to") { Description = "The file to write (default: beside the source, as <name>.onnx or <name>.compact.onnx; <name>.pt, <name>.compact.pt or <name>.ticket.pt, with the Python module beside it named as an identifier, such as round_12.py; for --format ticket, <run>-round-NN.ticket in the current folder)." };
        CommonOptions.Require(format, Formats.Contains, $"give one of {string.Join(", ", Formats)}");
        var command = new Command("export", "Writes a pruned model for use outside Lottery: an ONNX file for ONNX Runtime (input 'input' with a free batch dimension, output 'output'), a PyTorch state dictionary with a Python module that builds the model, or the run's ticket; with --compact, the compacted model.")
        {
            source, round, format, compact, strip, ticket, output, inputShape,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(source)!;
            var chosen = parse.GetValue(format)!;
            var wantsTicket = chosen == "ticket" || parse.GetValue(ticket);
            if (parse.GetValue(ticket) && chosen != "pytorch")
            {
                throw new ArgumentException($"--ticket exports a ticket to PyTorch, to train it there; with --format {chosen} it means nothing. Use --format pytorch --ticket, or --format ticket for Lottery's own ticket file.");
            }

            if (parse.GetValue(strip) && chosen != "pytorch")
            {
                throw new ArgumentException($"--strip-masks is for --format pytorch; a {chosen} export has no masks to strip.");
            }

            if (parse.GetValue(strip) && parse.GetValue(ticket))
            {
                throw new ArgumentException("--strip-masks with --ticket would lose the masks a ticket is trained under: in PyTorch the pruned weights would come back. Leave out --strip-masks.");
            }

            if (parse.GetValue(strip) && parse.GetValue(compact))
            {
                throw new ArgumentException("--strip-masks with --compact: a compacted model has no masks to strip. Give one of the two.");
            }

            var file = PrunedModels.Locate(given, parse.GetValue(round), ticket: wantsTicket && Directory.Exists(given));
            var (model, kind) = SavedModels.Load(file);
            using (model)
            {
                if (wantsTicket && kind != ArtifactKind.Ticket)
                {
                    throw new InvalidOperationException($"'{file}' is a pruned model: it holds trained weights, not the ones training starts from, so no ticket can be made of it. Give the run's folder (its rounds/round-NN.ticket) or a .ticket file.");
                }

                if (!wantsTicket && kind == ArtifactKind.Ticket)
                {
                    throw new InvalidOperationException($"'{file}' is a ticket (masks with the weights training starts from): exported as a model it would be an untrained network. Export the run's .pruned file, or export the ticket with --format pytorch --ticket to train it in PyTorch.");
                }

                if (parse.GetValue(compact) && kind == ArtifactKind.Ticket)
                {
                    throw new InvalidOperationException("--compact is for trained models: compaction folds dead units' constant outputs into the next layer's bias, which is exact for inference but not for a ticket about to be trained.");
                }

                var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file));
                var to = parse.GetValue(output);
                string written;
                try
                {
                    written = chosen switch
                    {
                        "onnx" => Onnx(model, stem, to, parse.GetValue(compact), parse.GetValue(inputShape)),
                        "pytorch" => PyTorch(model, file, kind, stem, to, parse.GetValue(compact), parse.GetValue(strip), parse.GetValue(inputShape)),
                        _ => TicketFile(model, file, given, to),
                    };
                }
                catch (Exception error) when (error is (IOException and not FileNotFoundException) or UnauthorizedAccessException)
                {
                    throw CommonOptions.Unwritable(to ?? stem, to is not null, error);
                }

                Console.WriteLine($"{model.GetType().Name} from {file}{(parse.GetValue(compact) ? ", compacted" : string.Empty)}: {written}");
            }

            return 0;
        });
        return command;
    }

    private static string Onnx(nn.Module<Tensor, Tensor> model, string stem, string? output, bool compact, string? inputShape)
    {
        var target = output ?? stem + (compact ? ".compact.onnx" : ".onnx");
        CommonOptions.RequireWritable(target, chosen: output is not null);
        if (model is not IChainModel chain || inputShape is not null)
        {
            var shape = GraphShape(model, compact, inputShape);
            OnnxExport.Save((nn.Module)model, target, shape);
            return string.Create(CultureInfo.InvariantCulture, $"{target} ({new FileInfo(target).Length:N0} bytes, ONNX opset {OnnxExport.Opset}, the graph of its forward, input '{OnnxExport.InputName}' [batch, {string.Join(", ", shape)}], output '{OnnxExport.OutputName}').");
        }

        if (compact)
        {
            using var compacted = chain.Compact().Model;
            OnnxExport.Save(compacted, target, chain.InputShape);
        }
        else
        {
            OnnxExport.Save(chain.ToSequential(), target, chain.InputShape);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{target} ({new FileInfo(target).Length:N0} bytes, ONNX opset {OnnxExport.Opset}, input '{OnnxExport.InputName}' [batch, {string.Join(", ", chain.InputShape)}], output '{OnnxExport.OutputName}').");
    }

    private static string PyTorch(nn.Module<Tensor, Tensor> model, string file, ArtifactKind kind, string stem, string? output, bool compact, bool strip, string? inputShape)
    {
        var target = output ?? stem + (kind == ArtifactKind.Ticket ? ".ticket.pt" : compact ? ".compact.pt" : ".pt");
        CommonOptions.RequireWritable(target, chosen: output is not null);
        var masks = strip ? PyTorchMasks.Strip : PyTorchMasks.Keep;
        var what = kind == ArtifactKind.Ticket
            ? $"The ticket of {model.GetType().Name} (masks with the weights training starts from), exported by Lottery from {file}."
            : $"{model.GetType().Name}{(compact ? ", compacted," : string.Empty)} exported by Lottery from {file}.";
        PyTorchFiles files;
        if (model is not IChainModel chain || inputShape is not null)
        {
            var shape = GraphShape(model, compact && kind != ArtifactKind.Ticket, inputShape);
            files = PyTorchExport.Save((nn.Module)model, target, shape, masks, what);
        }
        else if (compact)
        {
            using var compacted = chain.Compact().Model;
            files = PyTorchExport.Save(compacted, target, chain.InputShape, masks, what);
        }
        else
        {
            files = PyTorchExport.Save(chain.ToSequential(), target, chain.InputShape, masks, what);
        }

        var state = compact ? "no masks (compacted)" : strip ? "masks stripped (pruned weights zero)" : "masks as torch.nn.utils.prune keeps them (weight_orig, weight_mask)";
        return string.Create(CultureInfo.InvariantCulture, $"state dictionary {files.StateDictionary} ({new FileInfo(files.StateDictionary).Length:N0} bytes, {state}) and module {files.Module}; in Python: `import {Path.GetFileNameWithoutExtension(files.Module)}; model = {Path.GetFileNameWithoutExtension(files.Module)}.load()`.");
    }

    /// <summary>The input shape of a model exported as a graph (--input-shape), after compacting it in place when asked.</summary>
    private static long[] GraphShape(nn.Module<Tensor, Tensor> model, bool compact, string? inputShape)
    {
        var shape = CompactCommand.ParseShape(inputShape, model, $"{model.GetType().Name} declares no [Chain], so it is exported as the graph of its forward, captured on one input: give its shape without the batch with --input-shape (for example --input-shape 1,28,28).");
        if (compact)
        {
            CompactCommand.CompactInPlace(model, shape, inputShape!);
        }

        return shape;
    }

    private static string TicketFile(nn.Module<Tensor, Tensor> model, string file, string given, string? output)
    {
        // The default name says which run and round the ticket is, since every run's file is rounds/round-NN.ticket.
        var run = Directory.Exists(given) ? Path.GetFileName(Path.GetFullPath(given).TrimEnd(Path.DirectorySeparatorChar)) + "-" : string.Empty;
        var target = Path.GetFullPath(output ?? run + Path.GetFileName(file));
        if (target == Path.GetFullPath(file))
        {
            throw new ArgumentException($"'{file}' is already that ticket; give another file with --to.");
        }

        CommonOptions.RequireWritable(target, chosen: output is not null);
        Ticket.Save(model, ((IPrunableModel)model).Masks!, target);
        return string.Create(CultureInfo.InvariantCulture, $"{target} ({new FileInfo(target).Length:N0} bytes, a Lottery ticket: load it with {model.GetType().Name}'s LoadTicket and train).");
    }
}

using System.Diagnostics;
using System.Text.Json;

namespace Lottery.Tests.Export;

/// <summary>
/// PyTorch on this machine, to check exported files: Debian's python3-torch under <c>/usr/bin/python3</c>, installed once
/// per test run with <c>scripts/install-pytorch.sh</c> when it is missing, so that the README's test command needs
/// nothing installed by hand. When it cannot be had, every use fails with one plain sentence saying so.
/// </summary>
internal static class PyTorchPeer
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Loads the exported module with importlib, runs it on the inputs and reports what PyTorch sees (the batch, and its first sample alone).</summary>
    public const string Check = """
        import importlib.util, json, sys
        import numpy as np
        import torch
        from torch.nn.utils import prune

        module_path, inputs_path, expected_path = sys.argv[1:4]
        shape = [int(d) for d in sys.argv[4].split(",")]
        spec = importlib.util.spec_from_file_location("exported", module_path)
        exported = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(exported)
        model = exported.load()
        dtype = np.int64 if len(sys.argv) > 5 and sys.argv[5] == "int64" else np.float32
        x = torch.from_numpy(np.fromfile(inputs_path, dtype=dtype).reshape(shape))
        with torch.no_grad():
            y = model(x).numpy()
            first = model(x[:1]).numpy()
        expected = np.fromfile(expected_path, dtype=np.float32).reshape(y.shape)
        state = model.state_dict()
        print(json.dumps({
            "largest": float(max(np.abs(y - expected).max(), np.abs(first - expected[:1]).max())),
            "same": int((y.argmax(1) == expected.argmax(1)).sum()),
            "count": int(y.shape[0]),
            "pruned": bool(prune.is_pruned(model)),
            "keys": sorted(state.keys()),
            "kept": {k[: -len("_mask")]: int(v.sum()) for k, v in state.items() if k.endswith("_mask")},
            "zeros": {name: int((m.weight == 0).sum()) for name, m in model.named_children() if hasattr(m, "weight") and m.weight is not None},
        }))
        """;

    private static readonly Lazy<string> Installation = new(() =>
    {
        if (Runs("import torch, numpy"))
        {
            return string.Empty;
        }

        var script = Path.Combine(Generators.DiagnosticTests.RepositoryRoot(), "scripts", "install-pytorch.sh");
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode == 0 && Runs("import torch, numpy")
            ? string.Empty
            : $"PyTorch is missing: {Python} cannot import torch and numpy, and scripts/install-pytorch.sh could not install them (exit code {process.ExitCode}: "
              + $"{string.Join(' ', (output.Result + error.Result).Trim().Split('\n').TakeLast(3))}). Install python3-torch and python3-numpy (apt-get) to run this test.";
    });

    /// <summary>Runs a Python script with arguments under PyTorch and parses the JSON object it prints last.</summary>
    public static JsonElement Run(string script, params string[] arguments)
    {
        var missing = Installation.Value;
        Assert.True(missing.Length == 0, missing);
        var start = new ProcessStartInfo(Python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 failed (exit code {process.ExitCode}):\n{output.Result}\n{error.Result}");
        var last = output.Result.Trim().Split('\n')[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    private static bool Runs(string code)
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        var start = new ProcessStartInfo(Python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}

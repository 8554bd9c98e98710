using System.Reflection;
var asm = typeof(TorchSharp.torch).Assembly;
void Show(Type t, string filter) { foreach (var m in t.GetMembers(BindingFlags.Public|BindingFlags.Instance|BindingFlags.Static).Where(m => m.Name.Contains(filter))) Console.WriteLine(t.Name+": "+m); }
var tensor = asm.GetType("TorchSharp.torch+Tensor")!;
Show(tensor, "sort"); Show(tensor, "index_put_"); Show(tensor, "masked_fill_"); 
Show(asm.GetType("TorchSharp.torch")!, "randperm"); Show(asm.GetType("TorchSharp.torch")!, "use_deterministic");Show(asm.GetType("TorchSharp.torch")!, "set_num_threads");
Show(asm.GetType("TorchSharp.Modules.OptimizerHelper")!, "ParamGroups"); Show(asm.GetType("TorchSharp.Modules.ParamGroup")!, "LearningRate");
Show(asm.GetType("TorchSharp.torch+nn+Module")!, "register_buffer");Show(asm.GetType("TorchSharp.torch+nn+Module")!, "named_");Show(asm.GetType("TorchSharp.torch+nn+Module")!, "load");Show(asm.GetType("TorchSharp.torch+nn+Module")!, "save");
Show(asm.GetType("TorchSharp.torch+nn+init")!, "xavier_normal");
Show(asm.GetType("TorchSharp.torch+optim")!, "Adam");Show(asm.GetType("TorchSharp.torch+optim")!, "SGD");
Show(asm.GetType("TorchSharp.Modules.StateDictionary")!, "");
Show(asm.GetType("TorchSharp.Modules.OptimizerState")!, "");

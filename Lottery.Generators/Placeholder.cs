namespace Lottery.Generators; internal static class Placeholder { }

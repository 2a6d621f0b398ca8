using Hoard.Cli;

return await HoardCli.RunAsync(args, CliEnvironment.FromProcess());

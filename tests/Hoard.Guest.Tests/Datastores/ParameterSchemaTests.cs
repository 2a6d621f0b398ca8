using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Datastores.Redis;
using Hoard.Guest.Tests.Datastores.MariaDb;
using Hoard.Guest.Tests.Datastores.PostgreSql;
using Hoard.Guest.Tests.Datastores.Redis;
using Npgsql;

namespace Hoard.Guest.Tests.Datastores;

/// <summary>
/// The configuration-parameter schemas of the datastore definitions (<c>src/Hoard.Server/datastores/*.json</c>)
/// on their own: well-formed, large enough, and free of settings the guest owns or that reach outside the server.
/// The classes below check the same schemas against real servers.
/// </summary>
public sealed class ParameterSchemaTests
{
    [Theory]
    [InlineData("mariadb", "10.11", 30)]
    [InlineData("postgresql", "15", 30)]
    [InlineData("redis", "7.0", 12)]
    public void Schema_IsWellFormedAndCoversTheUsualSettings(string datastore, string version, int minimumCount)
    {
        var schema = ParameterSchema.Load(datastore, version);

        Assert.True(schema.Parameters.Count >= minimumCount,
            $"{datastore} {version} declares {schema.Parameters.Count} parameters; at least {minimumCount} are expected.");
        Assert.Empty(ParameterSchema.FormatProblems(schema));
    }

    [Theory]
    [InlineData("mariadb", "10.11", "ON", "OFF")]
    [InlineData("postgresql", "15", "on", "off")]
    [InlineData("redis", "7.0", "yes", "no")]
    public void Capabilities_SayHowBooleansAreWritten(string datastore, string version, string booleanTrue, string booleanFalse)
    {
        var schema = ParameterSchema.Load(datastore, version);

        Assert.Equal(booleanTrue, schema.BooleanTrue);
        Assert.Equal(booleanFalse, schema.BooleanFalse);
    }

    [Theory]
    [InlineData("mariadb", "10.11")]
    [InlineData("postgresql", "15")]
    [InlineData("redis", "7.0")]
    public void Schema_HasNoSettingTheGuestOwnsOrThatReachesOutsideTheServer(string datastore, string version)
    {
        var schema = ParameterSchema.Load(datastore, version);
        var templateType = datastore switch
        {
            "mariadb" => typeof(MariaDbConfigTemplate),
            "postgresql" => typeof(PostgreSqlConfigTemplate),
            _ => typeof(RedisConfigTemplate),
        };
        var field = templateType.GetField("ProtectedKeys", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{templateType.Name} has no ProtectedKeys field any more: update this test.");
        var protectedKeys = Assert.IsAssignableFrom<IEnumerable<string>>(field.GetValue(null)).ToList();
        Assert.NotEmpty(protectedKeys);

        foreach (var parameter in schema.Parameters)
        {
            Assert.False(protectedKeys.Any(key => ParameterSchema.Normalize(key) == ParameterSchema.Normalize(parameter.Name)),
                $"'{parameter.Name}' is managed by the guest ({templateType.Name}.ProtectedKeys).");
            Assert.False(ParameterSchema.IsUnsafe(parameter.Name),
                $"'{parameter.Name}' names a file, path, plugin, library, command, credential or replication setting.");
        }
    }

    [Fact]
    public void UnsafeNames_AreRecognised()
    {
        foreach (var name in new[]
                 {
                     "init_file", "init_connect", "plugin_load_add", "slow_query_log_file", "general_log", "log_bin", "secure_file_priv",
                     "shared_preload_libraries", "archive_command", "restore_command", "data_directory", "primary_conninfo",
                     "ssl_key_file", "local_infile", "dbfilename", "appenddirname", "loadmodule", "rename-command", "masterauth",
                     "replicaof", "unixsocket", "aclfile", "log_statement", "dynamic_library_path",
                 })
        {
            Assert.True(ParameterSchema.IsUnsafe(name), name);
        }

        Assert.False(ParameterSchema.IsUnsafe("innodb_file_per_table"));
        Assert.False(ParameterSchema.IsUnsafe("max_files_per_process"));
        // How long until a WAL segment is archived: a duration, not the archive's command or place.
        Assert.False(ParameterSchema.IsUnsafe("archive_timeout"));
    }
}

/// <summary>Every MariaDB parameter against a real MariaDB 10.11 prepared by the guest.</summary>
public sealed class MariaDbParameterSchemaTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    [Fact]
    public async Task EveryParameter_MatchesTheServer()
    {
        var schema = ParameterSchema.Load("mariadb", "10.11");
        var options = await StartupOptionsAsync();
        using var admin = fixture.Admin();
        var variables = admin.Query(
                "SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, NUMERIC_MIN_VALUE, NUMERIC_MAX_VALUE, READ_ONLY, ENUM_VALUE_LIST " +
                "FROM information_schema.SYSTEM_VARIABLES")
            .ToDictionary(row => row[0]!, StringComparer.Ordinal);
        var problems = new List<string>();

        foreach (var parameter in schema.Parameters)
        {
            var name = parameter.Name;
            // Hoard's own: the guest's archiving reads it, my.cnf never holds it (see MariaDbConfigTemplateTests).
            if (name == Hoard.Guest.Datastores.MariaDb.MariaDbConfigTemplate.ArchiveTimeoutKey)
                continue;
            if (!ParameterSchema.MariaDbName().IsMatch(name))
            {
                problems.Add($"{name}: not a MariaDB variable name the guest accepts");
                continue;
            }

            if (!variables.TryGetValue(name, out var variable))
            {
                if (options.Contains(name))
                    await CheckStartupOnlyOptionAsync(schema, parameter, problems);
                else
                    problems.Add($"{name}: neither a system variable (information_schema.SYSTEM_VARIABLES) nor a startup option");
                continue;
            }

            // The guest writes the name into my.cnf: it must be a startup option too (tx_isolation and time_zone are not).
            if (!options.Contains(name))
                problems.Add($"{name}: mariadbd does not accept it as a startup option (my.cnf)");

            var (serverType, serverMin, serverMax, readOnly, enumValues) = (variable[1]!, variable[2], variable[3], variable[4], variable[5]);
            var compatible = parameter.Type switch
            {
                "integer" => serverType is "INT" or "INT UNSIGNED" or "BIGINT" or "BIGINT UNSIGNED",
                "float" => serverType is "DOUBLE",
                "boolean" => serverType is "BOOLEAN",
                _ => serverType is "ENUM" or "SET" or "VARCHAR",
            };
            if (!compatible)
                problems.Add($"{name}: declared {parameter.Type}, the server's type is {serverType}");

            if (parameter.Min is { } min && (serverMin is null || min < Parse(serverMin)))
                problems.Add($"{name}: min {min} is below the server's minimum {serverMin ?? "(none)"}");
            if (parameter.Max is { } max && (serverMax is null || max > Parse(serverMax)))
                problems.Add($"{name}: max {max} is above the server's maximum {serverMax ?? "(none)"}");

            if (readOnly == "YES" && !parameter.RestartRequired)
                problems.Add($"{name}: read-only at runtime (READ_ONLY=YES) but declared dynamic");

            // Dynamic exactly when the running server takes SET GLOBAL of its current value. Stricter than READ_ONLY:
            // max_user_connections is writable on paper but refused when the server started with 0.
            var dynamic = TryExecute(admin, $"SET GLOBAL {name} = @@GLOBAL.{name}", out var error);
            if (dynamic && parameter.RestartRequired)
                problems.Add($"{name}: declared restart-required, but SET GLOBAL works");
            if (!dynamic && !parameter.RestartRequired)
                problems.Add($"{name}: declared dynamic, but SET GLOBAL fails: {error}");

            if (parameter.Type == "boolean" && !SameSet(enumValues, [schema.BooleanTrue, schema.BooleanFalse]))
                problems.Add($"{name}: the server's values are {enumValues}, not {schema.BooleanTrue}/{schema.BooleanFalse}");

            if (parameter.AllowedValues is { } allowed)
                CheckAllowedValues(admin, parameter, enumValues, allowed, dynamic, problems);
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// A my.cnf option with no variable behind it (10.11's transaction_isolation): the guest writes it for the next
    /// start, so it must be restart-required, and mariadbd must take each of its values as a start would.
    /// </summary>
    private static async Task CheckStartupOnlyOptionAsync(ParameterSchema schema, SchemaParameter parameter, List<string> problems)
    {
        var name = parameter.Name;
        if (!parameter.RestartRequired)
            problems.Add($"{name}: only a startup option (no system variable to SET GLOBAL), so it must be restart-required");

        IReadOnlyList<string>? values = parameter.Type switch
        {
            "boolean" => [schema.BooleanTrue, schema.BooleanFalse],
            "string" => parameter.AllowedValues,
            _ => null,
        };
        if (values is null)
        {
            problems.Add($"{name}: only a startup option, whose values cannot be checked unless they are booleans or allowed_values");
            return;
        }

        foreach (var value in values)
        {
            try
            {
                await ParameterSchema.RunAsync(new MariaDbOptions().ServerPath, null, "--no-defaults", $"--{name}={value}", "--verbose", "--help");
            }
            catch (InvalidOperationException exception)
            {
                problems.Add($"{name}: mariadbd refuses '{value}': {exception.Message}");
            }
        }
    }

    private static void CheckAllowedValues(
        MariaDbConnection admin, SchemaParameter parameter, string? enumValues, IReadOnlyList<string> allowed, bool dynamic, List<string> problems)
    {
        var name = parameter.Name;
        if (enumValues is not null)
        {
            var serverValues = enumValues.Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var value in allowed.Where(value => !serverValues.Contains(value)))
                problems.Add($"{name}: allowed value '{value}' is not one of the server's ({enumValues})");
            return;
        }

        if (!dynamic)
        {
            problems.Add($"{name}: the server lists no values and the setting is static, so its allowed values cannot be checked");
            return;
        }

        // Character sets and collations: the server takes each one, then gets its own value back.
        var original = admin.Query($"SELECT @@GLOBAL.{name}")[0][0]!;
        try
        {
            foreach (var value in allowed)
            {
                if (!TryExecute(admin, $"SET GLOBAL {name} = {admin.Literal(value)}", out var error))
                    problems.Add($"{name}: the server refuses allowed value '{value}': {error}");
            }
        }
        finally
        {
            admin.Execute($"SET GLOBAL {name} = {admin.Literal(original)}");
        }
    }

    private static bool TryExecute(MariaDbConnection admin, string sql, out string? error)
    {
        try
        {
            admin.Execute(sql);
            error = null;
            return true;
        }
        catch (MariaDbException exception)
        {
            error = exception.Message;
            return false;
        }
    }

    private static bool SameSet(string? list, IEnumerable<string> values) =>
        list is not null && list.Split(',').ToHashSet(StringComparer.Ordinal).SetEquals(values);

    private static decimal Parse(string value) => ParameterSchema.ParseBound(value);

    /// <summary>The option names <c>mariadbd --verbose --help</c> lists (dashes as underscores): what my.cnf may hold.</summary>
    private static async Task<HashSet<string>> StartupOptionsAsync()
    {
        var output = await ParameterSchema.RunAsync(new MariaDbOptions().ServerPath, null, "--no-defaults", "--verbose", "--help");
        const string Header = "Variables (--variable-name=value)";
        var start = output.IndexOf(Header, StringComparison.Ordinal);
        Assert.True(start >= 0, "mariadbd --verbose --help printed no variables table");
        var options = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in output[start..].Split('\n').Skip(3))
        {
            if (string.IsNullOrWhiteSpace(line))
                break;
            options.Add(line.Split(' ', 2)[0].Replace('-', '_'));
        }

        Assert.Contains("max_connections", options);
        return options;
    }
}

/// <summary>Every PostgreSQL parameter against a real PostgreSQL 15 prepared by the guest.</summary>
public sealed class PostgreSqlParameterSchemaTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    [Fact]
    public async Task EveryParameter_MatchesTheServer()
    {
        var schema = ParameterSchema.Load("postgresql", "15");
        var settings = new Dictionary<string, PgSetting>(StringComparer.Ordinal);
        await using (var connection = await fixture.AdminAsync())
        {
            await using var command = new NpgsqlCommand(
                "SELECT lower(name), vartype, unit, min_val, max_val, context, enumvals FROM pg_settings", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                settings[reader.GetString(0)] = new PgSetting(
                    reader.GetString(1), Text(2), Text(3), Text(4), reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6));
            }
        }

        var problems = new List<string>();
        foreach (var parameter in schema.Parameters)
        {
            var name = parameter.Name;
            if (!settings.TryGetValue(name, out var setting))
            {
                problems.Add($"{name}: no such setting in pg_settings");
                continue;
            }

            var compatible = parameter.Type switch
            {
                "integer" => setting.Type == "integer",
                "float" => setting.Type is "real" or "integer",
                "boolean" => setting.Type == "bool",
                _ => setting.Type is "enum" or "string",
            };
            if (!compatible)
                problems.Add($"{name}: declared {parameter.Type}, the server's type is {setting.Type}");

            if (setting.Context == "internal")
                problems.Add($"{name}: an internal setting nobody can change");
            if ((setting.Context == "postmaster") != parameter.RestartRequired)
                problems.Add($"{name}: restart_required is {parameter.RestartRequired}, but the context is {setting.Context}");

            CheckUnitsAndRange(parameter, setting, problems);

            if (parameter.AllowedValues is { } allowed)
            {
                if (setting.EnumValues is null)
                    problems.Add($"{name}: allowed values on a setting that is not an enum");
                else
                {
                    foreach (var value in allowed.Where(value => !setting.EnumValues.Contains(value, StringComparer.OrdinalIgnoreCase)))
                        problems.Add($"{name}: allowed value '{value}' is not one of the server's ({string.Join(", ", setting.EnumValues)})");
                }
            }
        }

        problems.AddRange(await RenderedValuesProblemsAsync(schema));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// The limits, allowed values and booleans as the server would read them from postgresql.conf (value plus suffix):
    /// <c>postgres -C</c> with <c>-c name=value</c> parses and range-checks every value and exits non-zero on a bad one.
    /// </summary>
    private async Task<List<string>> RenderedValuesProblemsAsync(ParameterSchema schema)
    {
        List<List<(string Name, string Value)>> rounds =
        [
            [.. schema.Parameters.Where(p => p.Min is not null).Select(p => (p.Name, Render(p, p.Min!.Value)))],
            [.. schema.Parameters.Where(p => p.Max is not null).Select(p => (p.Name, Render(p, p.Max!.Value)))],
            [.. schema.Parameters.Where(p => p.Type == "boolean").Select(p => (p.Name, schema.BooleanTrue))],
            [.. schema.Parameters.Where(p => p.Type == "boolean").Select(p => (p.Name, schema.BooleanFalse))],
        ];
        var mostAllowed = schema.Parameters.Max(p => p.AllowedValues?.Count ?? 0);
        for (var i = 0; i < mostAllowed; i++)
        {
            var index = i;
            rounds.Add([.. schema.Parameters.Where(p => p.AllowedValues?.Count > index).Select(p => (p.Name, p.AllowedValues![index]))]);
        }

        var options = new PostgreSqlOptions();
        var dataDirectory = PostgreSqlPaths.For(fixture.Instance.Config.Paths).DataDirectory;
        var problems = new List<string>();
        foreach (var round in rounds.Where(round => round.Count > 0))
        {
            var arguments = new List<string> { "-D", dataDirectory, "-C", "max_connections" };
            foreach (var (name, value) in round)
                arguments.AddRange(["-c", $"{name}={value}"]);
            try
            {
                await ParameterSchema.RunAsync(options.ServerPath, options.ServiceUser, [.. arguments]);
            }
            catch (InvalidOperationException exception)
            {
                problems.Add($"postgres refuses {string.Join(' ', round.Select(v => $"{v.Name}={v.Value}"))}: {exception.Message}");
            }
        }

        return problems;
    }

    private static string Render(SchemaParameter parameter, decimal value) =>
        (parameter.Type == "integer" ? decimal.ToInt64(value).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture))
        + parameter.Suffix;

    private static void CheckUnitsAndRange(SchemaParameter parameter, PgSetting setting, List<string> problems)
    {
        var name = parameter.Name;
        decimal serverScale = 1, schemaScale = 1;
        if (setting.Unit is null)
        {
            if (parameter.Suffix is not null)
                problems.Add($"{name}: suffix '{parameter.Suffix}' on a setting without a unit (the server would refuse it)");
        }
        else if (PgUnit(setting.Unit) is not { } server)
        {
            problems.Add($"{name}: unknown server unit {setting.Unit}");
            return;
        }
        else if (parameter.Suffix is null || PgUnit(parameter.Suffix) is not { } suffix || !PgSuffixes.Contains(parameter.Suffix))
        {
            problems.Add($"{name}: the server counts in {setting.Unit}; a value needs a suffix PostgreSQL accepts to be unambiguous");
            return;
        }
        else if (suffix.Kind != server.Kind || PgUnit(parameter.Unit ?? "") is not { } unit || unit != suffix)
        {
            problems.Add($"{name}: unit '{parameter.Unit}' and suffix '{parameter.Suffix}' do not say the same {server.Kind} as the server's {setting.Unit}");
            return;
        }
        else
        {
            (serverScale, schemaScale) = (server.Scale, suffix.Scale);
        }

        if (parameter.Min is { } min && !Within(min, setting.Min, lower: true))
            problems.Add($"{name}: min {min}{parameter.Suffix} is below the server's minimum {setting.Min} × {setting.Unit}");
        if (parameter.Max is { } max && !Within(max, setting.Max, lower: false))
            problems.Add($"{name}: max {max}{parameter.Suffix} is above the server's maximum {setting.Max} × {setting.Unit}");

        bool Within(decimal value, string? bound, bool lower)
        {
            if (bound is null)
                return false;
            var serverBound = ParameterSchema.ParseBound(bound);
            // A negative value is a marker (-1: disabled, or use another setting) that is not scaled by the unit.
            if (value < 0 && schemaScale != serverScale)
                return false;
            var (left, right) = value < 0 ? (value, serverBound) : (value * schemaScale, serverBound * serverScale);
            return lower ? left >= right : left <= right;
        }
    }

    private static readonly HashSet<string> PgSuffixes = new(StringComparer.Ordinal) { "B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d" };

    /// <summary>A PostgreSQL (or schema) unit as a quantity: bytes for memory, microseconds for time.</summary>
    private static (string Kind, decimal Scale)? PgUnit(string unit) => unit switch
    {
        "B" or "bytes" => ("memory", 1m),
        "kB" => ("memory", 1024m),
        "8kB" => ("memory", 8192m),
        "MB" => ("memory", 1024m * 1024),
        "16MB" => ("memory", 16m * 1024 * 1024),
        "GB" => ("memory", 1024m * 1024 * 1024),
        "TB" => ("memory", 1024m * 1024 * 1024 * 1024),
        "us" => ("time", 1m),
        "ms" => ("time", 1_000m),
        "s" => ("time", 1_000_000m),
        "min" => ("time", 60_000_000m),
        "h" => ("time", 3_600_000_000m),
        "d" => ("time", 86_400_000_000m),
        _ => null,
    };

    private sealed record PgSetting(string Type, string? Unit, string? Min, string? Max, string Context, string[]? EnumValues);
}

/// <summary>Every Redis parameter against a real Redis 7 prepared by the guest, and its limits against redis-server.</summary>
public sealed class RedisParameterSchemaTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task EveryParameter_MatchesTheServer()
    {
        var schema = ParameterSchema.Load("redis", "7.0");
        var problems = new List<string>();
        using (var admin = fixture.Admin())
        {
            var reply = admin.Execute("CONFIG", "GET", "*").AsArray();
            var config = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < reply.Count; i += 2)
                config[reply[i].AsString()] = reply[i + 1].AsString();

            foreach (var parameter in schema.Parameters)
            {
                var name = parameter.Name;
                if (!config.TryGetValue(name, out var current))
                {
                    problems.Add($"{name}: CONFIG GET does not know it");
                    continue;
                }

                var compatible = parameter.Type switch
                {
                    "integer" => long.TryParse(current, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                    "float" => decimal.TryParse(current, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                    "boolean" => current == schema.BooleanTrue || current == schema.BooleanFalse,
                    _ => true,
                };
                if (!compatible)
                    problems.Add($"{name}: declared {parameter.Type}, but its current value is '{current}'");

                // Dynamic exactly when CONFIG SET of the current value works (immutable settings are refused).
                string? error = null;
                try
                {
                    admin.Execute("CONFIG", "SET", name, current);
                }
                catch (RedisException exception) when (!exception.IsConnectionFailure)
                {
                    error = exception.Message;
                }

                if (error is null && parameter.RestartRequired)
                    problems.Add($"{name}: declared restart-required, but CONFIG SET works");
                if (error is not null && !parameter.RestartRequired)
                    problems.Add($"{name}: declared dynamic, but CONFIG SET fails: {error}");
            }
        }

        problems.AddRange(await ProbeProblemsAsync(schema));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// Redis does not publish its ranges: a throwaway redis-server (unix socket only, in a temp directory) must start
    /// with every minimum, with every maximum, with each boolean both ways and with each allowed value.
    /// </summary>
    private static async Task<List<string>> ProbeProblemsAsync(ParameterSchema schema)
    {
        List<List<(string Name, string Value)>> rounds =
        [
            [.. schema.Parameters.Where(p => p.Min is not null).Select(p => (p.Name, Plain(p.Min!.Value)))],
            [.. schema.Parameters.Where(p => p.Max is not null).Select(p => (p.Name, Plain(p.Max!.Value)))],
            [.. schema.Parameters.Where(p => p.Type == "boolean").Select(p => (p.Name, schema.BooleanTrue))],
            [.. schema.Parameters.Where(p => p.Type == "boolean").Select(p => (p.Name, schema.BooleanFalse))],
        ];
        var mostAllowed = schema.Parameters.Max(p => p.AllowedValues?.Count ?? 0);
        for (var i = 0; i < mostAllowed; i++)
        {
            var index = i;
            rounds.Add([.. schema.Parameters.Where(p => p.AllowedValues?.Count > index).Select(p => (p.Name, p.AllowedValues![index]))]);
        }

        var problems = new List<string>();
        foreach (var round in rounds.Where(round => round.Count > 0))
        {
            if (await StartsWithAsync(round) is { } failure)
                problems.Add($"redis-server does not start with {string.Join(", ", round.Select(v => $"{v.Name} {v.Value}"))}: {failure}");
        }

        return problems;
    }

    private static async Task<string?> StartsWithAsync(IEnumerable<(string Name, string Value)> settings)
    {
        var directory = Directory.CreateTempSubdirectory("hoard-redis-probe-").FullName;
        try
        {
            var config = new StringBuilder()
                .Append("port 0\n").Append("unixsocket ").Append(Path.Combine(directory, "probe.sock")).Append('\n')
                .Append("dir ").Append(directory).Append('\n')
                .Append("daemonize no\nsave \"\"\nappendonly no\nlogfile \"\"\n");
            foreach (var (name, value) in settings)
                config.Append(name).Append(' ').Append(value).Append('\n');
            var configFile = Path.Combine(directory, "probe.conf");
            await File.WriteAllTextAsync(configFile, config.ToString());

            var startInfo = new ProcessStartInfo(new RedisOptions().ServerPath) { RedirectStandardOutput = true, RedirectStandardError = true };
            startInfo.ArgumentList.Add(configFile);
            using var process = Process.Start(startInfo)!;
            var output = new StringBuilder();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    return;
                lock (output)
                    output.Append(e.Data).Append('\n');
                if (e.Data.Contains("ready to accept connections", StringComparison.OrdinalIgnoreCase))
                    ready.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (output)
                        output.Append(e.Data).Append('\n');
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var finished = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
                if (finished == ready.Task)
                    return null;
                lock (output)
                    return process.HasExited ? $"exit {process.ExitCode}: {output.ToString().Trim()}" : "not ready after 30 s";
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Plain(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One parameter of a datastore version's schema, as the JSON definition spells it.</summary>
internal sealed record SchemaParameter(
    string Name,
    string Type,
    decimal? Min,
    decimal? Max,
    bool RestartRequired,
    string? Description,
    IReadOnlyList<string>? AllowedValues,
    string? Unit,
    string? Suffix,
    double? MaxRamFraction,
    IReadOnlyList<string> Properties);

/// <summary>A datastore version's parameters and boolean spelling, read from the repository's definition file.</summary>
internal sealed partial class ParameterSchema
{
    private static readonly HashSet<string> KnownProperties = new(StringComparer.Ordinal)
    {
        "name", "type", "min", "max", "restart_required", "description", "allowed_values", "unit", "suffix", "max_ram_fraction",
    };

    private static readonly HashSet<string> MemoryUnits = new(StringComparer.Ordinal) { "bytes", "kB", "MB", "GB" };

    private static readonly HashSet<string> Units = new(StringComparer.Ordinal) { "bytes", "kB", "MB", "GB", "us", "ms", "s", "min", "h", "d" };

    private ParameterSchema(string datastore, IReadOnlyList<SchemaParameter> parameters, string booleanTrue, string booleanFalse)
    {
        Datastore = datastore;
        Parameters = parameters;
        BooleanTrue = booleanTrue;
        BooleanFalse = booleanFalse;
    }

    public string Datastore { get; }

    public IReadOnlyList<SchemaParameter> Parameters { get; }

    public string BooleanTrue { get; }

    public string BooleanFalse { get; }

    /// <summary>The directory holding Hoard.slnx, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static ParameterSchema Load(string datastore, string version)
    {
        var path = Path.Combine(RepositoryRoot, "src", "Hoard.Server", "datastores", datastore + ".json");
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var definition = document.RootElement.GetProperty("versions").EnumerateArray()
            .SingleOrDefault(v => v.GetProperty("name").GetString() == version);
        if (definition.ValueKind != JsonValueKind.Object)
            throw new InvalidOperationException($"{path} has no version named {version}.");

        var capabilities = definition.GetProperty("capabilities");
        var parameters = new List<SchemaParameter>();
        if (definition.TryGetProperty("parameters", out var list))
        {
            foreach (var item in list.EnumerateArray())
            {
                parameters.Add(new SchemaParameter(
                    item.GetProperty("name").GetString()!,
                    item.GetProperty("type").GetString()!,
                    Number(item, "min"),
                    Number(item, "max"),
                    item.TryGetProperty("restart_required", out var restart) && restart.GetBoolean(),
                    Text(item, "description"),
                    item.TryGetProperty("allowed_values", out var allowed) ? [.. allowed.EnumerateArray().Select(v => v.GetString()!)] : null,
                    Text(item, "unit"),
                    Text(item, "suffix"),
                    item.TryGetProperty("max_ram_fraction", out var fraction) ? fraction.GetDouble() : null,
                    [.. item.EnumerateObject().Select(p => p.Name)]));
            }
        }

        return new ParameterSchema(
            datastore, parameters, Text(capabilities, "boolean_true") ?? "", Text(capabilities, "boolean_false") ?? "");
    }

    /// <summary>What is wrong with the schema as data, before any server is asked.</summary>
    public static List<string> FormatProblems(ParameterSchema schema)
    {
        var problems = new List<string>();
        var namePattern = schema.Datastore == "redis" ? RedisName() : schema.Datastore == "mariadb" ? MariaDbName() : PostgreSqlName();
        foreach (var group in schema.Parameters.GroupBy(p => Normalize(p.Name)).Where(g => g.Count() > 1))
            problems.Add($"{group.Key}: declared {group.Count()} times");

        foreach (var p in schema.Parameters)
        {
            var name = p.Name;
            if (!namePattern.IsMatch(name))
                problems.Add($"{name}: not a name the guest accepts as a configuration key");
            foreach (var property in p.Properties.Where(property => !KnownProperties.Contains(property)))
                problems.Add($"{name}: unknown property '{property}'");
            if (!p.Properties.Contains("restart_required"))
                problems.Add($"{name}: restart_required must be stated");
            if (p.Type is not ("integer" or "float" or "boolean" or "string"))
                problems.Add($"{name}: unknown type '{p.Type}'");
            if (string.IsNullOrWhiteSpace(p.Description) || p.Description.Contains('\n'))
                problems.Add($"{name}: needs a one-line description");

            if (p.AllowedValues is { } allowed)
            {
                if (p.Type != "string")
                    problems.Add($"{name}: allowed_values only belong to strings");
                if (allowed.Count == 0 || allowed.Any(string.IsNullOrWhiteSpace))
                    problems.Add($"{name}: allowed_values must be non-empty values");
                if (allowed.Distinct(StringComparer.OrdinalIgnoreCase).Count() != allowed.Count)
                    problems.Add($"{name}: allowed_values repeat a value");
            }

            var numeric = p.Type is "integer" or "float";
            if (!numeric && (p.Min is not null || p.Max is not null || p.Unit is not null || p.Suffix is not null || p.MaxRamFraction is not null))
                problems.Add($"{name}: min, max, unit, suffix and max_ram_fraction only belong to numbers");
            if (p.Min is { } min && p.Max is { } max && min > max)
                problems.Add($"{name}: min {min} is above max {max}");
            if (p.Type == "integer" && new[] { p.Min, p.Max }.Any(v => v is { } value && (value != decimal.Truncate(value) || value < long.MinValue || value > long.MaxValue)))
                problems.Add($"{name}: integer limits must be whole 64-bit numbers");
            if (numeric && (p.Min is null || p.Max is null))
                problems.Add($"{name}: a number needs both min and max");
            if (p.Unit is { } unit && !Units.Contains(unit))
                problems.Add($"{name}: unknown unit '{unit}'");
            if (p.Suffix is not null && p.Unit is null)
                problems.Add($"{name}: a suffix needs a unit");
            if (p.MaxRamFraction is { } fraction && (fraction <= 0 || fraction > 1 || p.Unit is null || !MemoryUnits.Contains(p.Unit)))
                problems.Add($"{name}: max_ram_fraction must be in (0, 1] and needs a memory unit");
        }

        return problems;
    }

    /// <summary>A server's limit as a decimal; the floating-point extremes (1.79769e+308) become decimal's own.</summary>
    public static decimal ParseBound(string text)
    {
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return value;
        var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return number > 0 ? decimal.MaxValue : decimal.MinValue;
    }

    /// <summary>Names compared the way the datastores compare them: case-insensitive, '-' and '_' alike.</summary>
    public static string Normalize(string name) => name.ToLowerInvariant().Replace('-', '_');

    /// <summary>
    /// Settings that name files, directories, sockets, plugins, libraries or commands, or hold credentials, or drive
    /// replication and logging the guest owns: a user who could set them could leave the sandbox or cut off the guest.
    /// </summary>
    public static bool IsUnsafe(string name) => UnsafeName().IsMatch(Normalize(name));

    /// <summary>Runs a program to completion and returns its standard output; a non-zero exit throws with its stderr.</summary>
    public static async Task<string> RunAsync(string file, string? userName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UserName = userName };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {(await error).Trim()}");
        return await output;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    public static partial Regex MariaDbName();

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    public static partial Regex PostgreSqlName();

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    public static partial Regex RedisName();

    [GeneratedRegex(
        "(file|filename|dir|dirname|directory|directories|path|socket|command|cpulist)$" +
        "|plugin|preload|librar|password|passwd|auth|ssl|tls|module|conninfo|rename" +
        "|^(init_|secure_|archive(?!_timeout$)|restore_|recovery_|log_bin|general_log|replica|slave|master|primary_|local_infile|symbolic_links)" +
        "|^(log_statement|log_error|log_output|log_destination|logging_collector|wal_level|read_only|server_id|bind|port|user|include|requirepass|unixsocketperm)$")]
    private static partial Regex UnsafeName();

    private static decimal? Number(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : null;

    private static string? Text(JsonElement item, string property) =>
        item.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hoard.slnx")))
                return directory.FullName;
        }

        throw new InvalidOperationException($"No Hoard.slnx above {AppContext.BaseDirectory}.");
    }
}

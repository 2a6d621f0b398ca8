using System.Diagnostics;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Backups;

/// <summary>What becomes of one line of a SQL script on its way into the client that replays it.</summary>
internal enum LineVerdict
{
    Keep,
    Drop,

    /// <summary>Keep this line and everything after it unlooked at.</summary>
    KeepRest,
}

/// <param name="line">One line, with its <c>\n</c> (the last line may have none).</param>
internal delegate LineVerdict SqlLineFilter(ReadOnlySpan<byte> line);

/// <summary>
/// Copies a logical backup's SQL script line by line, leaving out the lines a filter drops: the statements about the
/// restoring guest's own accounts, which would otherwise give them the source's passwords. Bytes, not text: a dump
/// holds each database in its own encoding.
/// </summary>
internal static class SqlScriptFilter
{
    /// <summary>
    /// Downloads the layer and replays its script, filtered, through the client <paramref name="startInfo"/> starts; the
    /// client must exit with 0 (its first error, e.g. psql's with <c>ON_ERROR_STOP</c>, fails the restore).
    /// </summary>
    public static Task ReplayAsync(RestoreLayer layer, string toolName, ProcessStartInfo startInfo, SqlLineFilter filter,
        IReadOnlyCollection<string> secrets, CancellationToken cancellationToken)
    {
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        return BackupTransfers.DownloadAsync(layer, async (data, token) =>
        {
            await using var tool = ToolProcess.Start(toolName, startInfo, secrets);
            var discarding = tool.StandardOutput.CopyToAsync(Stream.Null, token);
            try
            {
                await CopyAsync(data, tool.StandardInput, filter, token);
            }
            catch (IOException e) when (data.Failure is null)
            {
                // The client stopped reading: its own error says why.
                throw await tool.FailureAfterExitAsync(TimeSpan.FromSeconds(10)) ?? (Exception)e;
            }

            tool.StandardInput.Close();
            await tool.WaitForSuccessAsync(token);
            await discarding;
        }, cancellationToken);
    }

    public static async Task CopyAsync(Stream script, Stream into, SqlLineFilter filter, CancellationToken cancellationToken)
    {
        var input = new byte[BackupTransfers.BufferSize];
        var output = new MemoryStream(BackupTransfers.BufferSize * 2);
        var partial = new MemoryStream();
        int read;
        while ((read = await script.ReadAsync(input, cancellationToken)) > 0)
        {
            var start = 0;
            while (start < read)
            {
                var newline = input.AsSpan(start, read - start).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    partial.Write(input, start, read - start);
                    break;
                }

                var end = start + newline + 1;
                LineVerdict verdict;
                if (partial.Length == 0)
                {
                    verdict = filter(input.AsSpan(start, end - start));
                    if (verdict != LineVerdict.Drop)
                        output.Write(input, start, end - start);
                }
                else
                {
                    partial.Write(input, start, end - start);
                    verdict = filter(partial.GetBuffer().AsSpan(0, (int)partial.Length));
                    if (verdict != LineVerdict.Drop)
                        partial.WriteTo(output);
                    partial.SetLength(0);
                }

                start = end;
                if (verdict == LineVerdict.KeepRest)
                {
                    output.Write(input, start, read - start);
                    await FlushAsync(output, into, cancellationToken);
                    await script.CopyToAsync(into, BackupTransfers.BufferSize, cancellationToken);
                    return;
                }
            }

            if (output.Length >= BackupTransfers.BufferSize)
                await FlushAsync(output, into, cancellationToken);
        }

        if (partial.Length > 0 && filter(partial.GetBuffer().AsSpan(0, (int)partial.Length)) != LineVerdict.Drop)
            partial.WriteTo(output);
        await FlushAsync(output, into, cancellationToken);
    }

    private static async Task FlushAsync(MemoryStream output, Stream into, CancellationToken cancellationToken)
    {
        if (output.Length == 0)
            return;
        await into.WriteAsync(output.GetBuffer().AsMemory(0, (int)output.Length), cancellationToken);
        output.SetLength(0);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Hoard.Core.Compute;
using Hoard.Providers.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Providers;

/// <summary>Write endpoints through a real HAProxy (Debian's package, installed by scripts/install-deps.sh).</summary>
public sealed class HaproxyEndpointsTests : IDisposable
{
    private const string SetId = "6a1c2b3d-4e5f-4061-8a9b-0c1d2e3f4a5b";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("hoard-haproxy-").FullName;

    public void Dispose()
    {
        // A test that failed half-way must not leave its haproxy behind.
        var pidFile = Path.Combine(_dataDir, "haproxy", "haproxy.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
            }
        }
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public void Render_OneTcpListenerPerSet_ItsSourceHealthChecked_AndNoServerWhileThereIsNoSource()
    {
        var config = HaproxyEndpoints.Render("127.100.0.1",
            [new WriteEndpoint(SetId, 40002, null, 0), new WriteEndpoint("0b7e1f8c-3d0a-4c55-9a8e-5f1e2d3c4b5a", 40001, "127.100.0.2", 3306)]);

        Assert.Contains("    master-worker\n    hard-stop-after 1s\n", config, StringComparison.Ordinal);
        Assert.Contains("    mode tcp\n    retries 0\n    timeout connect 1s\n", config, StringComparison.Ordinal);
        var first = config.IndexOf("listen set_0b7e1f8c3d0a4c559a8e5f1e2d3c4b5a\n    bind 127.100.0.1:40001\n" +
                                   "    server source 127.100.0.2:3306 check inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n", StringComparison.Ordinal);
        var second = config.IndexOf("listen set_6a1c2b3d4e5f40618a9b0c1d2e3f4a5b\n    bind 127.100.0.1:40002\n\n", StringComparison.Ordinal);
        Assert.True(first > 0 && second > first, config);
    }

    [Fact]
    public async Task ReplaceAll_WithNoSets_OnAFreshDataDir_DoesNothing()
    {
        var options = new LocalOptions { DataDir = _dataDir, BusSocket = "/nonexistent", LoopbackSecondOctet = 231 };
        await new HaproxyEndpoints(options, NullLogger<HaproxyEndpoints>.Instance).ReplaceAllAsync([], CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(_dataDir, "haproxy")));
    }

    [Fact]
    public async Task ReplaceAll_LeadsToTheNewSource_CutsConnectionsToTheOldOne_AndStopsWithTheLastSet()
    {
        var options = new LocalOptions { DataDir = _dataDir, BusSocket = "/nonexistent", LoopbackSecondOctet = 231 };
        var endpoints = new HaproxyEndpoints(options, NullLogger<HaproxyEndpoints>.Instance);
        using var a = new Responder("127.231.0.2", "A");
        using var b = new Responder("127.231.0.3", "B");
        var port = FreePort(endpoints.Address);

        await endpoints.ReplaceAllAsync([new WriteEndpoint(SetId, port, a.Address, a.Port)], CancellationToken.None);
        var pidFile = Path.Combine(_dataDir, "haproxy", "haproxy.pid");
        var master = int.Parse(File.ReadAllText(pidFile).Trim());
        using var old = await ConnectAsync(endpoints.Address, port);
        Assert.Equal("A", await ReadAsync(old));

        await endpoints.ReplaceAllAsync([new WriteEndpoint(SetId, port, b.Address, b.Port)], CancellationToken.None);
        await Poll.UntilAsync(async () =>
        {
            using var fresh = await ConnectAsync(endpoints.Address, port);
            return await ReadAsync(fresh) == "B";
        }, "New connections did not reach the new source", 10);
        Assert.Equal(master, int.Parse(File.ReadAllText(pidFile).Trim()));
        // The connection to the old source is cut (hard-stop-after) rather than left writing to it.
        await Poll.UntilAsync(() => Task.FromResult(IsClosed(old)), "The connection to the old source stayed open", 10);

        await endpoints.ReplaceAllAsync([], CancellationToken.None);
        await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{master}")), "haproxy outlived the last set", 10);
        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(endpoints.Address, port));
    }

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<TcpClient> ConnectAsync(string address, int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse(address), port);
        return client;
    }

    private static async Task<string> ReadAsync(TcpClient client)
    {
        var buffer = new byte[16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = await client.GetStream().ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static bool IsClosed(TcpClient client)
    {
        var socket = client.Client;
        return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
    }

    /// <summary>A TCP server that greets every connection with its name and keeps it open.</summary>
    private sealed class Responder : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<TcpClient> _accepted = [];

        public Responder(string address, string name)
        {
            _listener = new TcpListener(IPAddress.Parse(address), 0);
            _listener.Start();
            Address = address;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync();
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return;
                    }

                    lock (_accepted)
                        _accepted.Add(client);
                    await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(name));
                }
            });
        }

        public string Address { get; }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public void Dispose()
        {
            _listener.Stop();
            lock (_accepted)
                _accepted.ForEach(c => c.Dispose());
        }
    }
}

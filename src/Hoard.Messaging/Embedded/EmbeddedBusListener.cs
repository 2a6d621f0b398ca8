using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Hoard.Contracts.Bus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Messaging.Embedded;

/// <summary>
/// Lets guest agents join the embedded bus over a Unix domain socket. A guest proves its identity with the
/// secret issued to its instance, may subscribe only to its own topic and reply inboxes, and may send only to
/// the conductor or to reply inboxes; every message it sends is stamped with its identity as <c>Sender</c>.
/// </summary>
public sealed class EmbeddedBusListener : IAsyncDisposable
{
    private readonly EmbeddedBus _bus;
    private readonly string _socketPath;
    private readonly IBusAuthenticator _authenticator;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _acceptLoop;

    public EmbeddedBusListener(EmbeddedBus bus, string socketPath, IBusAuthenticator authenticator,
        ILogger<EmbeddedBusListener>? logger = null)
    {
        _bus = bus;
        _socketPath = socketPath;
        _authenticator = authenticator;
        _logger = logger ?? NullLogger<EmbeddedBusListener>.Instance;
    }

    public void Start()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_socketPath)!);
        File.Delete(_socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _socket.Listen(512);
        // Guests run as an unprivileged OS user; the secret handshake, not file modes, is the access control.
        File.SetUnixFileMode(_socketPath, (UnixFileMode)0b110_110_110);
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket!.AcceptAsync(cancellationToken);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                _logger.LogWarning(e, "Accept on the bus socket failed");
                continue;
            }

            _ = new Session(this, client).RunAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _socket?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        File.Delete(_socketPath);
    }

    private sealed class Session(EmbeddedBusListener owner, Socket socket) : EmbeddedBus.ISubscriber
    {
        private readonly Channel<BusEnvelope> _outgoing = Channel.CreateUnbounded<BusEnvelope>();
        private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
        private string _identity = "";

        public void Deliver(BusEnvelope message)
        {
            if (!_outgoing.Writer.TryWrite(message))
            {
                owner._bus.Route(message);
            }
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            Task? writer = null;
            try
            {
                if (!await HandshakeAsync(stream, cts.Token))
                {
                    return;
                }

                writer = FrameCodec.PumpAsync(_outgoing.Reader, stream, socket, cts.Token);
                while (await FrameCodec.ReadAsync(stream, cts.Token) is { } frame)
                {
                    Handle(frame);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or JsonException
                                          or OperationCanceledException)
            {
                owner._logger.LogDebug(e, "Bus session of {Identity} ended", _identity);
            }
            finally
            {
                foreach (var topic in _topics)
                {
                    owner._bus.RemoveSubscriber(topic, this);
                }

                _outgoing.Writer.TryComplete();
                await cts.CancelAsync();
                if (writer is not null)
                {
                    await writer;
                }

                // Whatever was queued for this peer goes back to its topic for the next subscriber.
                while (_outgoing.Reader.TryRead(out var undelivered))
                {
                    owner._bus.Route(undelivered);
                }
            }
        }

        private async Task<bool> HandshakeAsync(NetworkStream stream, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var hello = await FrameCodec.ReadAsync(stream, timeout.Token);
            HelloArgs? args = null;
            if (hello is { Kind: ControlKinds.Hello, Args: { } raw })
            {
                args = raw.Deserialize(HelloJson.Default.HelloArgs);
            }

            var ok = args is not null && await owner._authenticator.AuthenticateAsync(args.Identity, args.Secret, cancellationToken);
            await FrameCodec.WriteAsync(stream,
                new BusEnvelope { Kind = ok ? ControlKinds.Welcome : ControlKinds.Refused, Topic = "" }, cancellationToken);
            if (!ok)
            {
                owner._logger.LogWarning("Refused a bus peer that failed authentication");
                return false;
            }

            _identity = args!.Identity;
            return true;
        }

        private void Handle(BusEnvelope frame)
        {
            switch (frame.Kind)
            {
                case ControlKinds.Subscribe when MaySubscribe(frame.Topic):
                    if (_topics.Add(frame.Topic))
                    {
                        owner._bus.AddSubscriber(frame.Topic, this);
                    }

                    break;
                case ControlKinds.Unsubscribe:
                    if (_topics.Remove(frame.Topic))
                    {
                        owner._bus.RemoveSubscriber(frame.Topic, this);
                    }

                    break;
                case BusKinds.Cast or BusKinds.Call or BusKinds.Reply when MaySend(frame):
                    owner._bus.Route(frame with { Sender = _identity });
                    break;
                default:
                    owner._logger.LogWarning("Bus peer {Identity} sent a forbidden {Kind} to {Topic}", _identity, frame.Kind, frame.Topic);
                    break;
            }
        }

        private bool MaySubscribe(string topic) => topic == BusTopics.Guest(_identity) || IsInbox(topic);

        private static bool MaySend(BusEnvelope frame) =>
            frame.Kind == BusKinds.Reply ? IsInbox(frame.Topic) : frame.Topic == BusTopics.Conductor;

        private static bool IsInbox(string topic) => topic.StartsWith("reply.", StringComparison.Ordinal);

    }
}

namespace Hoard.Messaging.Embedded;

/// <summary>Frames that manage a remote session rather than carry RPC.</summary>
internal static class ControlKinds
{
    public const string Hello = "hello";
    public const string Welcome = "welcome";
    public const string Subscribe = "subscribe";
    public const string Unsubscribe = "unsubscribe";
    public const string Refused = "refused";
}

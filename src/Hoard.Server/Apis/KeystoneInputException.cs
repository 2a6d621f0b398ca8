namespace Hoard.Server.Apis;

/// <summary>A bad field in a Keystone request body; answered 400 by <see cref="KeystoneInput.Filter"/>.</summary>
internal sealed class KeystoneInputException(string message) : Exception(message);

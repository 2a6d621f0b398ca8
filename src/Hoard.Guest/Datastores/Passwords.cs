using System.Buffers;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores;

/// <summary>
/// The password rule the SQL datastores share: 1 to 255 characters, none that could end a quoted literal or an
/// identifier (Trove's MySQL rule), no control characters. Passwords still reach SQL only as escaped literals.
/// </summary>
internal static class Passwords
{
    public const int MaxLength = 255;

    private static readonly SearchValues<char> Forbidden = SearchValues.Create("'\";`,/\\");

    /// <summary>Never echoes the password.</summary>
    public static void Validate(string? password)
    {
        if (string.IsNullOrEmpty(password))
            throw BadRequest("A password is required.");
        if (password.Length > MaxLength)
            throw BadRequest($"The password is longer than {MaxLength} characters.");
        if (password.AsSpan().IndexOfAny(Forbidden) >= 0 || password.Any(char.IsControl))
            throw BadRequest("The password must not contain control characters or any of ' \" ; ` , / \\.");
    }

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);
}

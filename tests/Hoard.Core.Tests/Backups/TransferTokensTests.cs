using Hoard.Core.Backups;

namespace Hoard.Core.Tests.Backups;

public sealed class TransferTokensTests
{
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TransferTokens _tokens;

    public TransferTokensTests() => _tokens = new TransferTokens(_time);

    [Fact]
    public void AToken_WorksOnce_ForItsBackupAndDirectionOnly()
    {
        var token = _tokens.Issue("b1", TransferDirection.Upload, "w1", _time.Now.AddMinutes(5));
        Assert.True(token.Length >= 43, "a token carries 256 random bits");

        Assert.Null(_tokens.Redeem("b2", TransferDirection.Upload, token));
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Download, token));
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Upload, token + "x"));
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Upload, null));
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Upload, ""));

        using (var grant = _tokens.Redeem("b1", TransferDirection.Upload, token))
        {
            Assert.NotNull(grant);
        }

        Assert.Null(_tokens.Redeem("b1", TransferDirection.Upload, token));
    }

    [Fact]
    public void AToken_ExpiresAtItsDeadline()
    {
        var token = _tokens.Issue("b1", TransferDirection.Download, "w1", _time.Now.AddSeconds(10));
        _time.Now = _time.Now.AddSeconds(10);
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Download, token));
        Assert.Equal(0, _tokens.Outstanding);
    }

    [Fact]
    public void Revoke_EndsTheOwnersUnusedTokens_AndCancelsItsTransfersInProgress_OnlyThose()
    {
        var used = _tokens.Issue("b1", TransferDirection.Upload, "w1", _time.Now.AddMinutes(5));
        var unused = _tokens.Issue("b1", TransferDirection.Download, "w1", _time.Now.AddMinutes(5));
        var others = _tokens.Issue("b1", TransferDirection.Download, "w2", _time.Now.AddMinutes(5));
        using var grant = _tokens.Redeem("b1", TransferDirection.Upload, used)!;
        using var otherGrant = _tokens.Redeem("b1", TransferDirection.Download, others)!;

        _tokens.Revoke("w1");

        Assert.True(grant.Revoked.IsCancellationRequested);
        Assert.False(otherGrant.Revoked.IsCancellationRequested);
        Assert.Null(_tokens.Redeem("b1", TransferDirection.Download, unused));
    }

    [Fact]
    public void OnlyTheTokensHash_IsKept()
    {
        var token = _tokens.Issue("b1", TransferDirection.Upload, "w1", _time.Now.AddMinutes(5));
        var field = typeof(TransferTokens).GetField("_unused", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var keys = ((System.Collections.IDictionary)field.GetValue(_tokens)!).Keys.Cast<string>().ToList();
        Assert.DoesNotContain(token, keys);
        Assert.Single(keys);
    }

    [Fact]
    public async Task ConcurrentRedeems_OfOneToken_LetExactlyOneThrough()
    {
        for (var round = 0; round < 50; round++)
        {
            var token = _tokens.Issue("b1", TransferDirection.Upload, "w1", _time.Now.AddMinutes(5));
            var grants = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _tokens.Redeem("b1", TransferDirection.Upload, token))));
            Assert.Single(grants, g => g is not null);
        }
    }
}

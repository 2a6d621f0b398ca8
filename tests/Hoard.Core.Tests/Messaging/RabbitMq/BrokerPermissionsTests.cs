using Hoard.Messaging.RabbitMq;

namespace Hoard.Core.Tests.Messaging.RabbitMq;

/// <summary>
/// The permission regexes the server gives broker users, checked with .NET's regex engine (RabbitMQ's PCRE reads these
/// the same: anchors, alternation, escapes, a character class); the broker itself is checked in BrokerUsersTests.
/// </summary>
public sealed class BrokerPermissionsTests
{
    private const string Id = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
    private const string Other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    private const string Guid32 = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void AGuest_MayConsumeAndConfigureItsOwnQueueAndReplyQueue_Only()
    {
        var p = BrokerPermissions.ForGuest(Id, "hoard");
        foreach (var mine in new[] { $"guest.{Id}", $"reply.guest.{Id}.{Guid32}" })
        {
            Assert.Matches(p.Configure, mine);
            Assert.Matches(p.Read, mine);
            Assert.Matches(p.TopicRead, mine);
        }

        foreach (var notMine in new[]
                 {
                     $"guest.{Other}", $"reply.guest.{Other}.{Guid32}", $"reply.server.{Guid32}", "conductor", "taskmanager", "hosts",
                     "hoard", $"guest.{Id}x", $"xguest.{Id}", $"guest.{Id}.more", $"guest#{Id}", $"reply.guest.{Id}.{Guid32}0", "#", "guest.*",
                 })
        {
            Assert.DoesNotMatch(p.Configure, notMine);
            Assert.DoesNotMatch(p.TopicRead, notMine);
        }

        Assert.DoesNotMatch(p.Read, $"guest.{Other}");
        Assert.DoesNotMatch(p.Read, "conductor");
    }

    [Fact]
    public void AGuest_MayPublishOnlyHeartbeatsAndRepliesToTheServer_ThroughTheHoardExchange()
    {
        var p = BrokerPermissions.ForGuest(Id, "hoard");
        Assert.Equal("hoard", p.Exchange);
        Assert.Matches(p.Write, "hoard");
        Assert.DoesNotMatch(p.Write, "amq.default");
        Assert.DoesNotMatch(p.Write, "");
        Assert.DoesNotMatch(p.Write, "amq.topic");
        Assert.Matches(p.TopicWrite, "conductor");
        Assert.Matches(p.TopicWrite, $"reply.server.{Guid32}");
        foreach (var key in new[] { $"guest.{Other}", $"guest.{Id}", "taskmanager", "hosts", $"reply.guest.{Other}.{Guid32}", "conductorx", "conductor.x", "#" })
        {
            Assert.DoesNotMatch(p.TopicWrite, key);
        }
    }

    [Fact]
    public void AHost_MayConsumeItsTopic_AndPublishOnlyReportsAndReplies()
    {
        var p = BrokerPermissions.ForHost("db-1", "hoard");
        Assert.Matches(p.Configure, "host.db-1");
        Assert.Matches(p.TopicRead, $"reply.host.db-1.{Guid32}");
        Assert.DoesNotMatch(p.Configure, "host.db-2");
        Assert.DoesNotMatch(p.Configure, "host.db-10");
        Assert.DoesNotMatch(p.Configure, $"guest.{Id}");
        Assert.Matches(p.TopicWrite, "hosts");
        Assert.Matches(p.TopicWrite, $"reply.server.{Guid32}");
        Assert.DoesNotMatch(p.TopicWrite, "conductor");
        Assert.DoesNotMatch(p.TopicWrite, "host.db-2");
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("a*b+c?")]
    [InlineData("x|y")]
    [InlineData("(g)[h]{2}^$")]
    [InlineData(@"back\slash")]
    [InlineData("sp ace#-_")]
    public void NamesWithRegexMetacharacters_AreEscaped_AndMatchOnlyThemselves(string name)
    {
        var p = BrokerPermissions.ForHost(name, "ex.change");
        Assert.Matches(p.Configure, "host." + name);
        Assert.DoesNotMatch(p.Configure, "host." + name.Replace('.', 'X').Replace('*', 'X') + "Z");
        Assert.Matches(p.Write, "ex.change");
        Assert.DoesNotMatch(p.Write, "exXchange");
        Assert.Matches("^" + BrokerPermissions.Escape(name) + "$", name);
    }

    [Fact]
    public void EscapedDot_DoesNotMatchAnyCharacter()
    {
        var p = BrokerPermissions.ForHost("a.b", "hoard");
        Assert.DoesNotMatch(p.Configure, "host.aXb");
        Assert.Equal(@"a\.b\*c", BrokerPermissions.Escape("a.b*c"));
        Assert.Equal(Id.Replace("-", @"\-"), BrokerPermissions.Escape(Id));
    }

    [Fact]
    public void ANameOutsidePrintableAscii_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => BrokerPermissions.Escape("a\nb"));
        Assert.Throws<ArgumentException>(() => BrokerPermissions.ForHost("hôte", "hoard"));
    }

    [Fact]
    public void Senders_AreReadFromTheCheckedUserId()
    {
        Assert.Null(BrokerNames.SenderOf("hoard", "hoard"));
        Assert.Equal(Id, BrokerNames.SenderOf("hoard-guest-" + Id, "hoard"));
        Assert.Equal("host:db-1", BrokerNames.SenderOf("hoard-host-db-1", "hoard"));
        Assert.Equal(BrokerNames.Unidentified, BrokerNames.SenderOf(null, "hoard"));
        Assert.Equal(BrokerNames.Unidentified, BrokerNames.SenderOf("", "hoard"));
        Assert.Equal("(broker user guest)", BrokerNames.SenderOf("guest", "hoard"));
        Assert.Equal("(broker user hoard-guest-)", BrokerNames.SenderOf("hoard-guest-", "hoard"));
        Assert.Equal(Id, BrokerNames.SenderOwning("guest." + Id));
        Assert.Equal("host:db-1", BrokerNames.SenderOwning("host.db-1"));
        Assert.Null(BrokerNames.SenderOwning("taskmanager"));
        Assert.Matches("^reply\\.guest\\." + Id + "\\.[0-9a-f]{32}$", BrokerNames.NewInbox(BrokerNames.GuestInboxOwner(Id)));
    }

    [Fact]
    public void PasswordHash_IsRabbitMqsSaltedSha256()
    {
        // The example of RabbitMQ's "Credentials and Passwords" guide: salt 908DC60A, password test12.
        Assert.Equal("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR", RabbitMqPasswordHash.Of("test12", Convert.FromHexString("908DC60A")));
        Assert.NotEqual(RabbitMqPasswordHash.Of("same"), RabbitMqPasswordHash.Of("same"));
    }
}

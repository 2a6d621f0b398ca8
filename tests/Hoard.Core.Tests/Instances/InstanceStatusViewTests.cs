using Hoard.Contracts.Guest;
using Hoard.Core.Instances;

namespace Hoard.Core.Tests.Instances;

public class InstanceStatusViewTests
{
    public static TheoryData<InstanceTask, ServerStatus> ErrorTasksOnEveryServerStatus()
    {
        var data = new TheoryData<InstanceTask, ServerStatus>();
        foreach (var task in Enum.GetValues<InstanceTask>().Where(t => t.IsError()))
        {
            foreach (var server in Enum.GetValues<ServerStatus>())
            {
                data.Add(task, server);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ErrorTasksOnEveryServerStatus))]
    public void Status_ErrorTask_IsErrorWhateverTheServerSays(InstanceTask task, ServerStatus server)
    {
        Assert.Equal("ERROR", InstanceStatusView.Status(task, server));
        Assert.Equal("ERROR", InstanceStatusView.Status(task, server, backupRunning: true));
    }

    [Theory]
    [InlineData(InstanceTask.Building, ServerStatus.Build, "BUILD")]
    [InlineData(InstanceTask.Building, ServerStatus.Active, "BUILD")]
    [InlineData(InstanceTask.Building, ServerStatus.Error, "ERROR")]
    [InlineData(InstanceTask.Rebooting, ServerStatus.Active, "REBOOT")]
    [InlineData(InstanceTask.Resizing, ServerStatus.Active, "RESIZE")]
    [InlineData(InstanceTask.RestartRequired, ServerStatus.Active, "RESTART_REQUIRED")]
    [InlineData(InstanceTask.Deleting, ServerStatus.Active, "SHUTDOWN")]
    [InlineData(InstanceTask.Deleting, ServerStatus.Shutdown, "SHUTDOWN")]
    [InlineData(InstanceTask.Deleting, ServerStatus.Error, "ERROR")]
    [InlineData(InstanceTask.BackingUp, ServerStatus.Active, "BACKUP")]
    public void Status_TaskInProgress_NamesTheTask(InstanceTask task, ServerStatus server, string expected) =>
        Assert.Equal(expected, InstanceStatusView.Status(task, server));

    [Theory]
    [InlineData(ServerStatus.Build, "BUILD")]
    [InlineData(ServerStatus.Active, "ACTIVE")]
    [InlineData(ServerStatus.Shutdown, "SHUTDOWN")]
    [InlineData(ServerStatus.Error, "ERROR")]
    public void Status_NoTask_IsTheServerStatus(ServerStatus server, string expected) =>
        Assert.Equal(expected, InstanceStatusView.Status(InstanceTask.None, server));

    [Fact]
    public void Status_NoTaskWithBackupRunning_IsBackup() =>
        Assert.Equal("BACKUP", InstanceStatusView.Status(InstanceTask.None, ServerStatus.Active, backupRunning: true));

    [Fact]
    public void Status_TaskInProgressWithBackupRunning_NamesTheTask() =>
        Assert.Equal("REBOOT", InstanceStatusView.Status(InstanceTask.Rebooting, ServerStatus.Active, backupRunning: true));

    [Theory]
    [InlineData(ServiceStatus.Healthy, "HEALTHY")]
    [InlineData(ServiceStatus.Running, "ACTIVE")]
    [InlineData(ServiceStatus.Blocked, "BLOCKED")]
    [InlineData(ServiceStatus.Shutdown, "SHUTDOWN")]
    [InlineData(ServiceStatus.Crashed, "SHUTDOWN")]
    [InlineData(ServiceStatus.Building, "BUILD")]
    [InlineData(ServiceStatus.New, "NEW")]
    [InlineData(ServiceStatus.Failed, "FAILED")]
    [InlineData(ServiceStatus.Restarting, "RESTARTING")]
    [InlineData(ServiceStatus.Deleted, "DELETED")]
    [InlineData(ServiceStatus.Unknown, "ERROR")]
    [InlineData(ServiceStatus.FailedTimeoutGuestAgent, "ERROR")]
    public void OperatingStatus_IdleAndActive_IsTheServiceApiName(ServiceStatus service, string expected) =>
        Assert.Equal(expected, InstanceStatusView.OperatingStatus(InstanceTask.None, ServerStatus.Active, service));

    public static TheoryData<InstanceTask, ServerStatus> BusyOrNotActive()
    {
        var data = new TheoryData<InstanceTask, ServerStatus>();
        foreach (var task in Enum.GetValues<InstanceTask>())
        {
            foreach (var server in Enum.GetValues<ServerStatus>())
            {
                if (task is not (InstanceTask.None or InstanceTask.BackingUp) || server != ServerStatus.Active)
                {
                    data.Add(task, server);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BusyOrNotActive))]
    public void OperatingStatus_TaskInProgressOrServerNotActive_IsEmpty(InstanceTask task, ServerStatus server) =>
        Assert.Equal("", InstanceStatusView.OperatingStatus(task, server, ServiceStatus.Healthy));

    [Fact]
    public void OperatingStatus_WhileABackupRuns_IsTheServiceApiName_AsTheDatabaseKeepsServing() =>
        Assert.Equal("HEALTHY", InstanceStatusView.OperatingStatus(InstanceTask.BackingUp, ServerStatus.Active, ServiceStatus.Healthy));

    [Theory]
    [InlineData(InstanceTask.BuildingError, true)]
    [InlineData(InstanceTask.BuildingErrorTimeout, true)]
    [InlineData(InstanceTask.RebootingError, true)]
    [InlineData(InstanceTask.DeletingError, true)]
    [InlineData(InstanceTask.None, false)]
    [InlineData(InstanceTask.Building, false)]
    [InlineData(InstanceTask.Deleting, false)]
    [InlineData(InstanceTask.Rebooting, false)]
    [InlineData(InstanceTask.Resizing, false)]
    [InlineData(InstanceTask.RestartRequired, false)]
    [InlineData(InstanceTask.BackingUp, false)]
    public void IsError_OnlyForErrorTasks(InstanceTask task, bool expected) => Assert.Equal(expected, task.IsError());
}

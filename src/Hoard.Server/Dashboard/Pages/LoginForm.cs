using System.ComponentModel.DataAnnotations;

namespace Hoard.Server.Dashboard.Pages;

/// <summary>The identity service's password log-in, scoped to a project by name (as <c>OS_PROJECT_NAME</c>).</summary>
internal sealed class LoginForm
{
    [Required(ErrorMessage = "The user name is required.")]
    public string UserName { get; set; } = "";

    [Required(ErrorMessage = "The password is required.")]
    public string Password { get; set; } = "";

    [Required(ErrorMessage = "The project is required.")]
    public string Project { get; set; } = "";
}

namespace Cairn.Components;

/// <summary>
/// A component's data is not a good backup (or a restore did not complete): the dump tool exited non-zero, wrote an
/// error, was missing, or the server could not be reached. The message names the component and quotes the tool.
/// </summary>
public sealed class ComponentFailedException : CairnException
{
    /// <summary>Creates the error; <paramref name="message"/> is one line, ending with what to do when that is known.</summary>
    public ComponentFailedException(string message, Exception? inner = null) : base(message, ExitCode.ComponentFailed, inner) { }
}

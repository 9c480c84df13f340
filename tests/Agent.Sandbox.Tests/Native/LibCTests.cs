using System.Diagnostics;
using Agent.Sandbox.Native;

namespace Agent.Sandbox.Tests.Native;

public sealed class LibCTests
{
    /// <summary>Proves the statx buffer is read at the kernel's offsets: the gid read back is the one chgrp set (any other field would differ).</summary>
    [Fact]
    public void GroupOf_FileWithKnownGroup_ReturnsThatGroup()
    {
        var file = Path.GetTempFileName();
        try
        {
            using (var chgrp = Process.Start("chgrp", ["4321", file])!)
            {
                chgrp.WaitForExit();
                Assert.True(chgrp.ExitCode == 0, "chgrp failed: the test needs to run as root (as CI does)");
            }

            Assert.Equal(4321u, LibC.GroupOf(file));
            Assert.Null(LibC.GroupOf(file + ".missing"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}

package io.github.dlock.cli;

import io.github.dlock.LockBackendException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;

/**
 * The CLI's lock directory when no URL is given: {@code <java.io.tmpdir>/dlock-<user>}. The
 * temporary directory is shared with every user of the machine, so anybody could create that
 * path first, as a symlink into another program's files or as a directory of their own whose
 * contents they control. It is therefore created owner-only ({@code rwx------} where POSIX
 * permissions exist) and used only if it is a real directory (not a link) owned by the
 * current user; otherwise dlock refuses with a message saying how to choose another.
 */
final class DefaultDirectory {
    private DefaultDirectory() {}

    /**
     * The default directory, created if missing.
     *
     * @throws LockBackendException if the path exists but is not a directory of this user's (dlock exits 69)
     */
    static Path get() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "dlock-" + user);
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                    } else {
                        Files.createDirectory(dir);
                    }
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // created meanwhile (by another dlock, or somebody else): checked below like any existing one
                }
            }
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink() || !a.isDirectory()) {
                throw refused(dir, "is " + (a.isSymbolicLink() ? "a symbolic link" : "not a directory"));
            }
            UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
            if (!owner.equals(me)) throw refused(dir, "belongs to " + owner.getName());
            return dir;
        } catch (IOException e) {
            throw new LockBackendException("cannot use the default lock directory " + dir + ": " + e.getMessage()
                    + "; pass --url file:///some/dir (or set DLOCK_URL)", e);
        }
    }

    private static LockBackendException refused(Path dir, String why) {
        return new LockBackendException("the default lock directory " + dir + " " + why + ", so dlock will not use it (anybody can "
                + "create paths in the temporary directory); remove it, or pass --url file:///some/dir (or set DLOCK_URL)");
    }
}

package io.github.dlock.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Help text fits an 80-column terminal, for dlock and each subcommand. */
class DlockCliHelpTest {
    @TempDir
    Path temp;

    @Test
    void helpOfEveryCommand_hasNoLineLongerThan80() throws Exception {
        List<String> tooLong = new ArrayList<>();
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"run", "--help"}, new String[] {"hold", "--help"},
                new String[] {"status", "--help"}, new String[] {"demo", "--help"}, new String[] {"help", "run"})) {
            DlockProcess.Result r = DlockProcess.run(temp, args);
            assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.out().lines().count() > 5, r.out());
            r.out().lines().filter(l -> l.length() > 80).forEach(l -> tooLong.add(String.join(" ", args) + ": " + l.length() + ": " + l));
        }
        assertEquals(List.of(), tooLong);
    }

    @Test
    void topLevelHelp_listsEverySubcommand_andTheNewOptions() throws Exception {
        String help = DlockProcess.run(temp, "--help").out();
        for (String s : List.of("run", "hold", "status", "demo", "--quiet", "--verbose")) assertTrue(help.contains(s), s + "\n" + help);
        String run = DlockProcess.run(temp, "run", "--help").out();
        for (String s : List.of("--conflict-exit-code", "--lease", "-c, --command")) assertTrue(run.contains(s), s + "\n" + run);
    }
}

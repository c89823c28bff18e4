package io.github.dlock.all;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** lock-bom manages exactly the published modules, at the project's version, and nothing else. */
class BomTest {
    /** Modules that are not library artifacts: the BOM itself, the CLI (a tool) and the benchmarks. */
    private static final Set<String> NOT_MANAGED = Set.of("lock-bom", "lock-cli", "lock-bench");

    @Test
    void theBomManagesEveryPublishedModule_atTheProjectsVersion() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Document parent = parse(root.resolve("pom.xml"));
        Document bom = parse(root.resolve("lock-bom/pom.xml"));

        Set<String> published = new TreeSet<>();
        for (Element m : children(first(parent.getDocumentElement(), "modules"), "module")) {
            if (!NOT_MANAGED.contains(m.getTextContent().trim())) published.add(m.getTextContent().trim());
        }
        Set<String> managed = new TreeSet<>();
        Element deps = first(first(bom.getDocumentElement(), "dependencyManagement"), "dependencies");
        for (Element d : children(deps, "dependency")) {
            assertEquals("io.github.dlock", text(d, "groupId"), "the BOM manages a foreign artifact: " + text(d, "artifactId"));
            assertEquals("${project.version}", text(d, "version"), text(d, "artifactId"));
            managed.add(text(d, "artifactId"));
        }
        assertEquals(published, managed, "lock-bom out of step with the modules of the build");
        assertEquals(text(parent.getDocumentElement(), "version"), text(bom.getDocumentElement(), "version"), "lock-bom's version");
    }

    @Test
    void theReleaseProfile_signsAndPublishesTheBomToo_withTheParentsPluginVersions() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Document parent = parse(root.resolve("pom.xml"));
        Document bom = parse(root.resolve("lock-bom/pom.xml"));
        Element properties = first(parent.getDocumentElement(), "properties");
        java.util.Map<String, String> expected = java.util.Map.of(
                "maven-gpg-plugin", text(properties, "gpg-plugin.version"),
                "central-publishing-maven-plugin", text(properties, "central-publishing-plugin.version"));
        List<Element> profiles = children(bom.getDocumentElement(), "profiles");
        Element release = (profiles.isEmpty() ? List.<Element>of() : children(profiles.get(0), "profile")).stream()
                .filter(p -> text(p, "id").equals("release")).findFirst()
                .orElseThrow(() -> new AssertionError("lock-bom has no release profile: mvn -P release deploy would not sign or publish it"));
        java.util.Map<String, String> found = new java.util.HashMap<>();
        for (Element plugin : children(first(first(release, "build"), "plugins"), "plugin")) {
            found.put(text(plugin, "artifactId"), text(plugin, "version"));
        }
        assertEquals(expected, found, "lock-bom's release plugins (it has no parent: the versions are repeated and must match the parent's)");
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static Element first(Element parent, String name) {
        return children(parent, name).get(0);
    }

    private static String text(Element parent, String name) {
        return first(parent, name).getTextContent().trim();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(name)) out.add(e);
        }
        return out;
    }
}

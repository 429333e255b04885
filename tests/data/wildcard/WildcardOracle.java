// Expected outcomes of Elasticsearch `wildcard` queries, from Lucene 8.7's automata.
//
// Reads lines of three hex-encoded UTF-8 fields: pattern, value, and "ci" or "cs". Prints
// "true" or "false" per line: whether the value, as one indexed term, matches.
//  - cs: Lucene's own WildcardQuery.toAutomaton (what a plain wildcard query runs);
//  - ci: the automaton Elasticsearch 8 builds for case_insensitive: true — per code point
//    of the pattern, `*` any string, `?` any one code point, `\` the next code point as
//    written, an ASCII letter either case, anything else itself.
//
// Run (needs liblucene8-java; see ../../../README.md "Test data"):
//   javac -cp /usr/share/java/lucene-core-8.7.0.jar -d /tmp/wo WildcardOracle.java
//   python3 run_oracle.py > expected.jsonl
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.util.automaton.*;

public class WildcardOracle {
    static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }

    static Automaton letterEitherCase(int cp) {
        Automaton one = Automata.makeChar(cp);
        if (cp > 128) return one;
        int other = Character.isLowerCase(cp) ? Character.toUpperCase(cp) : Character.toLowerCase(cp);
        return other == cp ? one : Operations.union(one, Automata.makeChar(other));
    }

    static Automaton caseInsensitive(String p) {
        List<Automaton> parts = new ArrayList<>();
        for (int i = 0; i < p.length(); ) {
            int cp = p.codePointAt(i);
            int len = Character.charCount(cp);
            if (cp == '*') parts.add(Automata.makeAnyString());
            else if (cp == '?') parts.add(Automata.makeAnyChar());
            else if (cp == '\\' && i + len < p.length()) {
                int next = p.codePointAt(i + len);
                len += Character.charCount(next);
                parts.add(Automata.makeChar(next));
            } else parts.add(letterEitherCase(cp));
            i += len;
        }
        return Operations.determinize(Operations.concatenate(parts), 100000);
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split(" ", -1);
            String pattern = unhex(f[0]), value = unhex(f[1]);
            Automaton a = f[2].equals("ci")
                ? caseInsensitive(pattern)
                : WildcardQuery.toAutomaton(new Term("f", pattern));
            System.out.println(new CharacterRunAutomaton(a).run(value));
        }
    }
}

// Reference answers for `rlike`: whether Lucene's RegExp automaton accepts the whole value.
// Input lines: "<pattern hex> <value hex>" (UTF-8); output: one "true"/"false"/"error" per line.
// Compile and run with Debian's liblucene8-java:
//   javac -cp /usr/share/java/lucene-core-8.7.0.jar -d /tmp/ro RegexpOracle.java
//   python3 run_oracle.py > expected.jsonl
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.util.automaton.CharacterRunAutomaton;
import org.apache.lucene.util.automaton.RegExp;

public class RegexpOracle {
    static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split(" ", -1);
            String pattern = unhex(parts[0]);
            String value = unhex(parts[1]);
            try {
                CharacterRunAutomaton a = new CharacterRunAutomaton(new RegExp(pattern, RegExp.ALL).toAutomaton());
                System.out.println(a.run(value) ? "true" : "false");
            } catch (IllegalArgumentException e) {
                System.out.println("error");
            }
        }
    }
}

// Reference answers for float fields, from Java itself: what a `float` field stores for a JSON
// number (read as a double, then narrowed) or a string (Float.parseFloat), and whether a KQL
// range on it holds. Elasticsearch's float range query parses each bound with
// Float.parseFloat and moves an exclusive bound one float inward (Math.nextUp / nextDown).
// ES|QL reads the stored float back as a double and compares it with the double literal
// ("esql_holds").
// Run: java FloatOracle.java > float-expected.jsonl
public class FloatOracle {
    static float stored(String json) {
        if (json.startsWith("\"")) {
            return Float.parseFloat(json.substring(1, json.length() - 1));
        }
        return (float) Double.parseDouble(json);
    }

    static boolean holds(float v, String op, String boundText) {
        float b = Float.parseFloat(boundText);
        switch (op) {
            case ">=": return v >= b;
            case ">": return v >= Math.nextUp(b);
            case "<=": return v <= b;
            default: return v <= Math.nextDown(b);
        }
    }

    static boolean esqlHolds(float v, String op, String boundText) {
        double d = v;
        double b = Double.parseDouble(boundText);
        switch (op) {
            case ">=": return d >= b;
            case ">": return d > b;
            case "<=": return d <= b;
            default: return d < b;
        }
    }

    public static void main(String[] args) {
        String[][] cases = {
            {"4.4999999999", ">=", "4.5"},
            {"4.49999", ">=", "4.5"},
            {"4.5", ">=", "4.5"},
            {"\"4.5\"", ">=", "4.5"},
            {"\" 4.6f\"", ">=", "4.5"},
            {"5.5", ">=", "5.5"},
            {"5.4999999", ">=", "5.5"},
            {"5.49999999", ">=", "5.5"},
            {"0.7", ">", "0.7"},
            {"0.70000001", ">", "0.7"},
            {"0.7000001", ">", "0.7"},
            {"0.69999999", "<", "0.7"},
            {"0.6999999", "<", "0.7"},
            {"3.3000001", "<=", "3.3"},
        };
        for (String[] c : cases) {
            float v = stored(c[0]);
            System.out.println("{\"value\":" + c[0] + ",\"op\":\"" + c[1] + "\",\"bound\":\"" + c[2]
                + "\",\"stored\":" + v + ",\"holds\":" + holds(v, c[1], c[2])
                + ",\"esql_holds\":" + esqlHolds(v, c[1], c[2]) + "}");
        }
    }
}

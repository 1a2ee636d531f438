package gkss.local.es;

import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;

import java.io.Reader;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Elasticsearch's {@code mapping} char filter: {@code mappings} (or {@code mappings_path}) of {@code "from => to"} rules. */
final class MappingCharFilterFactory extends AbstractCharFilterFactory implements NormalizingCharFilterFactory {
    private static final Pattern RULE = Pattern.compile("(.*)\\s*=>\\s*(.*)\\s*$");
    private final NormalizeCharMap map;

    MappingCharFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name);
        List<String> rules = Analysis.getWordList(env, settings, "mappings");
        if (rules == null) {
            throw new IllegalArgumentException("mapping requires either `mappings` or `mappings_path` to be configured");
        }
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        for (String rule : rules) {
            Matcher m = RULE.matcher(rule);
            if (!m.find()) {
                throw new IllegalArgumentException("Invalid mapping rule : [" + rule + "]");
            }
            String from = unescape(m.group(1).trim());
            String to = unescape(m.group(2).trim());
            if (from.isEmpty()) {
                throw new IllegalArgumentException("Invalid mapping rule: [" + rule + "]. Illegal mapping.");
            }
            builder.add(from, to);
        }
        this.map = builder.build();
    }

    @Override
    public Reader create(Reader reader) {
        return new MappingCharFilter(map, reader);
    }

    /** Backslash escapes of the rule syntax: \\ \" \' \n \t \r \b \f \\uXXXX. */
    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                out.append(c);
                continue;
            }
            char next = s.charAt(++i);
            switch (next) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (i + 4 >= s.length()) {
                        throw new IllegalArgumentException("Invalid escaped char in [" + s + "]");
                    }
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(next);
            }
        }
        return out.toString();
    }
}

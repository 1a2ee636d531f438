package gkss.local.es;

import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.elasticsearch.common.regex.Regex;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;

import java.io.Reader;
import java.util.regex.Pattern;

/** Elasticsearch's {@code pattern_replace} char filter: {@code pattern}, {@code replacement}, {@code flags}. */
final class PatternReplaceCharFilterFactory extends AbstractCharFilterFactory implements NormalizingCharFilterFactory {
    private final Pattern pattern;
    private final String replacement;

    PatternReplaceCharFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name);
        String source = settings.get("pattern");
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("pattern is missing for [" + name + "] char filter of type 'pattern_replace'");
        }
        this.pattern = Regex.compile(source, settings.get("flags"));
        this.replacement = settings.get("replacement", "");
    }

    @Override
    public Reader create(Reader reader) {
        return new PatternReplaceCharFilter(pattern, replacement, reader);
    }
}

package gkss.local.es;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.StopwordAnalyzerBase;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Stands for the part of the distribution's analysis-common module (not on Maven Central) the hub's
 * mapping uses, on Lucene's own implementations: the language analyzers of the six UN languages
 * ({@code english}, {@code french}, {@code spanish}, {@code russian}, {@code arabic}, and
 * {@code cjk} for Chinese), the {@code asciifolding} token filter and the {@code mapping} and
 * {@code pattern_replace} char filters, under Elasticsearch's names and settings.
 */
public final class AnalysisCommonPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        analyzers.put("english", language(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, EnglishAnalyzer::new));
        analyzers.put("french", language(FrenchAnalyzer.getDefaultStopSet(), FrenchAnalyzer::new));
        analyzers.put("spanish", language(SpanishAnalyzer.getDefaultStopSet(), SpanishAnalyzer::new));
        analyzers.put("russian", language(RussianAnalyzer.getDefaultStopSet(), RussianAnalyzer::new));
        analyzers.put("arabic", language(ArabicAnalyzer.getDefaultStopSet(), ArabicAnalyzer::new));
        analyzers.put("cjk", language(CJKAnalyzer.getDefaultStopSet(), (stop, exclusion) -> new CJKAnalyzer(stop)));
        return analyzers;
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("asciifolding", AsciiFoldingFilterFactory::new);
    }

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        return Map.of(
            "mapping", AnalysisPlugin.requiresAnalysisSettings(MappingCharFilterFactory::new),
            "pattern_replace", AnalysisPlugin.requiresAnalysisSettings(PatternReplaceCharFilterFactory::new)
        );
    }

    /** A language analyzer with Elasticsearch's {@code stopwords}, {@code stopwords_path} and {@code stem_exclusion}. */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> language(
        CharArraySet defaultStopWords,
        BiFunction<CharArraySet, CharArraySet, StopwordAnalyzerBase> make
    ) {
        return (IndexSettings indexSettings, Environment env, String name, Settings settings) -> {
            CharArraySet stop = Analysis.parseStopWords(env, settings, defaultStopWords);
            CharArraySet exclusion = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
            StopwordAnalyzerBase analyzer = make.apply(stop, exclusion);
            return new AbstractIndexAnalyzerProvider<StopwordAnalyzerBase>(name) {
                @Override
                public StopwordAnalyzerBase get() {
                    return analyzer;
                }
            };
        };
    }
}

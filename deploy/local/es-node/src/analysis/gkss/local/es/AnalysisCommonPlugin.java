package gkss.local.es;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.bn.BengaliAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.eu.BasqueAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.gl.GalicianAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.hy.ArmenianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.th.ThaiAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;
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
import java.util.function.Function;

/**
 * Stands for the part of the distribution's analysis-common module (not on Maven Central) the hub's
 * mapping uses, on Lucene's own implementations: every language analyzer the hub's
 * {@code LANGUAGE_ANALYZERS} table ({@code hub/search/cluster_mapping.py}) names (the six UN
 * languages, {@code cjk} standing for Chinese, Japanese and Korean, and the other languages of the
 * network; {@code tests/hub/test_cluster_language_analyzers.py} fails when the table names one this
 * plugin lacks), the {@code asciifolding} token filter and the {@code mapping} and
 * {@code pattern_replace} char filters, under Elasticsearch's names and settings.
 */
public final class AnalysisCommonPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        analyzers.put("arabic", language(ArabicAnalyzer.getDefaultStopSet(), ArabicAnalyzer::new));
        analyzers.put("armenian", language(ArmenianAnalyzer.getDefaultStopSet(), ArmenianAnalyzer::new));
        analyzers.put("basque", language(BasqueAnalyzer.getDefaultStopSet(), BasqueAnalyzer::new));
        analyzers.put("bengali", language(BengaliAnalyzer.getDefaultStopSet(), BengaliAnalyzer::new));
        analyzers.put("bulgarian", language(BulgarianAnalyzer.getDefaultStopSet(), BulgarianAnalyzer::new));
        analyzers.put("catalan", language(CatalanAnalyzer.getDefaultStopSet(), CatalanAnalyzer::new));
        analyzers.put("cjk", stopwordsOnly(CJKAnalyzer.getDefaultStopSet(), CJKAnalyzer::new));
        analyzers.put("czech", language(CzechAnalyzer.getDefaultStopSet(), CzechAnalyzer::new));
        analyzers.put("danish", language(DanishAnalyzer.getDefaultStopSet(), DanishAnalyzer::new));
        analyzers.put("dutch", language(DutchAnalyzer.getDefaultStopSet(), DutchAnalyzer::new));
        analyzers.put("english", language(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, EnglishAnalyzer::new));
        analyzers.put("estonian", language(EstonianAnalyzer.getDefaultStopSet(), EstonianAnalyzer::new));
        analyzers.put("finnish", language(FinnishAnalyzer.getDefaultStopSet(), FinnishAnalyzer::new));
        analyzers.put("french", language(FrenchAnalyzer.getDefaultStopSet(), FrenchAnalyzer::new));
        analyzers.put("galician", language(GalicianAnalyzer.getDefaultStopSet(), GalicianAnalyzer::new));
        analyzers.put("german", language(GermanAnalyzer.getDefaultStopSet(), GermanAnalyzer::new));
        analyzers.put("greek", stopwordsOnly(GreekAnalyzer.getDefaultStopSet(), GreekAnalyzer::new));
        analyzers.put("hindi", language(HindiAnalyzer.getDefaultStopSet(), HindiAnalyzer::new));
        analyzers.put("hungarian", language(HungarianAnalyzer.getDefaultStopSet(), HungarianAnalyzer::new));
        analyzers.put("indonesian", language(IndonesianAnalyzer.getDefaultStopSet(), IndonesianAnalyzer::new));
        analyzers.put("irish", language(IrishAnalyzer.getDefaultStopSet(), IrishAnalyzer::new));
        analyzers.put("italian", language(ItalianAnalyzer.getDefaultStopSet(), ItalianAnalyzer::new));
        analyzers.put("latvian", language(LatvianAnalyzer.getDefaultStopSet(), LatvianAnalyzer::new));
        analyzers.put("lithuanian", language(LithuanianAnalyzer.getDefaultStopSet(), LithuanianAnalyzer::new));
        analyzers.put("norwegian", language(NorwegianAnalyzer.getDefaultStopSet(), NorwegianAnalyzer::new));
        analyzers.put("persian", stopwordsOnly(PersianAnalyzer.getDefaultStopSet(), PersianAnalyzer::new));
        analyzers.put("portuguese", language(PortugueseAnalyzer.getDefaultStopSet(), PortugueseAnalyzer::new));
        analyzers.put("romanian", language(RomanianAnalyzer.getDefaultStopSet(), RomanianAnalyzer::new));
        analyzers.put("russian", language(RussianAnalyzer.getDefaultStopSet(), RussianAnalyzer::new));
        analyzers.put("spanish", language(SpanishAnalyzer.getDefaultStopSet(), SpanishAnalyzer::new));
        analyzers.put("swedish", language(SwedishAnalyzer.getDefaultStopSet(), SwedishAnalyzer::new));
        analyzers.put("thai", stopwordsOnly(ThaiAnalyzer.getDefaultStopSet(), ThaiAnalyzer::new));
        analyzers.put("turkish", language(TurkishAnalyzer.getDefaultStopSet(), TurkishAnalyzer::new));
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

    /**
     * A language analyzer Elasticsearch builds from stop words only: {@code cjk} and {@code thai} have
     * no stemmer, Lucene 10's {@code GreekAnalyzer} takes no stem-exclusion set, and Elasticsearch's
     * (and OpenSearch's) {@code persian} ignores {@code stem_exclusion} although Lucene's class takes one;
     * with {@code stopwords} and {@code stopwords_path} as Elasticsearch reads them.
     */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> stopwordsOnly(
        CharArraySet defaultStopWords,
        Function<CharArraySet, Analyzer> make
    ) {
        return language(defaultStopWords, (stop, exclusion) -> make.apply(stop));
    }

    /** A language analyzer with Elasticsearch's {@code stopwords}, {@code stopwords_path} and {@code stem_exclusion}. */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> language(
        CharArraySet defaultStopWords,
        BiFunction<CharArraySet, CharArraySet, Analyzer> make
    ) {
        return (IndexSettings indexSettings, Environment env, String name, Settings settings) -> {
            CharArraySet stop = Analysis.parseStopWords(env, settings, defaultStopWords);
            CharArraySet exclusion = Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET);
            Analyzer analyzer = make.apply(stop, exclusion);
            return new AbstractIndexAnalyzerProvider<Analyzer>(name) {
                @Override
                public Analyzer get() {
                    return analyzer;
                }
            };
        };
    }
}

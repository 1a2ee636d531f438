package gkss.local.es;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;

/** Elasticsearch's {@code asciifolding} token filter ({@code preserve_original}, default false); usable in normalizers. */
final class AsciiFoldingFilterFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
    private final boolean preserveOriginal;

    AsciiFoldingFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
        super(name);
        this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
    }

    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return new ASCIIFoldingFilter(tokenStream, false);
    }
}

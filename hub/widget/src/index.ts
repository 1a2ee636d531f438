// Entry point: defines <gkss-search> once.
import { GkssSearch } from "./element";

if (!customElements.get("gkss-search")) customElements.define("gkss-search", GkssSearch);

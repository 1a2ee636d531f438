// The widget's styles: themed through --gkss-* custom properties set on <gkss-search> or any ancestor.
export const CSS = `
:host{display:block;font-family:var(--gkss-font,system-ui,sans-serif);color:var(--gkss-text,#1a1a1a);
background:var(--gkss-background,#fff);line-height:1.45}
:host([hidden]){display:none}
*{box-sizing:border-box}
.root{padding:var(--gkss-padding,1rem)}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
label{display:block;font-weight:600;width:100%}
input,select,button{font:inherit;color:inherit;border:1px solid var(--gkss-border,#6b6b6b);
border-radius:var(--gkss-radius,4px);padding:.4rem .6rem;background:var(--gkss-background,#fff)}
input{flex:1 1 14rem;min-width:0}
button{cursor:pointer}
button.primary{background:var(--gkss-accent,#0b5394);color:var(--gkss-accent-text,#fff);border-color:var(--gkss-accent,#0b5394)}
button:disabled{cursor:default;opacity:.6}
:focus-visible{outline:3px solid var(--gkss-focus,#c25400);outline-offset:2px}
.status{margin:.75rem 0;font-weight:600}
.body{display:flex;gap:1.25rem;align-items:flex-start}
.facets{flex:0 0 14rem}
.facets h3{font-size:.95rem;margin:.75rem 0 .25rem}
.facets h2{font-size:1rem;margin:0 0 .25rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.facets ul,.results{list-style:none;margin:0;padding:0}
.facets li{margin:.15rem 0}
.facets button{width:100%;text-align:start;display:flex;justify-content:space-between;gap:.5rem;
padding:.2rem .5rem;border-color:var(--gkss-border-light,#c4c4c4)}
.facets button[aria-pressed=true]{background:var(--gkss-accent,#0b5394);color:var(--gkss-accent-text,#fff);
border-color:var(--gkss-accent,#0b5394)}
.results{flex:1 1 auto;min-width:0}
.results li{padding:.6rem 0;border-bottom:1px solid var(--gkss-border-light,#c4c4c4)}
.results h3{font-size:1.05rem;margin:0 0 .2rem}
a{color:var(--gkss-link,#0b5394)}
.meta{color:var(--gkss-muted,#4a4a4a);font-size:.9rem;margin:0}
.desc{margin:.25rem 0 0;overflow-wrap:anywhere}
mark{background:var(--gkss-mark,#ffe27a);color:inherit}
nav{display:flex;gap:.75rem;align-items:center;margin-top:.75rem}
[hidden]{display:none!important}
.toolbar{display:flex;gap:.5rem;flex-wrap:wrap}
.toolbar .drawer-button,.facets .drawer-close{display:none}
.clear,.clear-all,.more{border-color:var(--gkss-border-light,#c4c4c4);padding:.2rem .5rem}
.more{margin-top:.25rem;background:none;color:var(--gkss-link,#0b5394);border:0;text-decoration:underline;padding:.2rem 0}
.facet-filter{width:100%;margin:.1rem 0 .25rem;padding:.25rem .4rem}
.facets .value{overflow-wrap:anywhere}
.facets .count{flex:none}
.empty{margin:.5rem 0;padding:.75rem;border:1px dashed var(--gkss-border-light,#c4c4c4);border-radius:var(--gkss-radius,4px)}
.empty p{margin:.25rem 0}
@media (max-width:40rem){
.body{flex-direction:column}
.toolbar .drawer-button{display:inline-block}
.facets{display:none}
.facets.open{display:block;position:fixed;inset:0;z-index:1000;overflow:auto;padding:1rem;
background:var(--gkss-background,#fff)}
.facets.open .drawer-close{display:block;width:auto;margin-inline-start:auto}
.results h3{font-size:1rem}
}
`;

export function styleSheet(): CSSStyleSheet | null {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    return sheet;
  } catch {
    return null; // no constructable stylesheets: a <style> element instead
  }
}

/* searchsvc: progressive enhancement of the search page. No framework, no build step.
 *
 * Without this script the page is a plain GET form. With it, results follow
 * the search box as the user types (debounced), facet and filter changes
 * apply at once, and the address bar keeps a shareable URL: each search is a
 * history entry (pushState; the keystrokes of one typing run share one), so
 * Back steps through searches. The panels above the results (timeline, words,
 * corpus) come from the server (/panels, the same templates as the page) and
 * are inserted as parsed nodes; the chart gets hover figures and selecting a
 * span of bars (drag) filters the results to that period.
 * Every piece of data is inserted as text (textContent); snippets, which the
 * server sends as escaped text plus <mark>, are rebuilt node by node.
 */
(function () {
  "use strict";

  var form = document.getElementById("search-form");
  if (!form || !window.fetch || !window.URLSearchParams || !window.DOMParser ||
      !window.history || !window.history.pushState) {
    return;
  }
  document.documentElement.classList.add("js");

  var DEBOUNCE_MS = 250;
  var MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                "août", "septembre", "octobre", "novembre", "décembre"];
  var LANGS = {fr: "français", en: "anglais", es: "espagnol", de: "allemand", it: "italien",
               pt: "portugais", ru: "russe", ar: "arabe", nl: "néerlandais", uk: "ukrainien",
               "zh-cn": "chinois", zh: "chinois", ja: "japonais", ko: "coréen", fa: "persan",
               tr: "turc", pl: "polonais"};
  var FILTER_KEYS = ["source", "author", "lang", "year", "month", "date_from", "date_to", "person", "org", "place"];
  var EXCLUSIVE = {month: true};  // one value at a time (years, sources, languages: any of)
  var NULL_KEY = "unknown";  // checkbox value of the "unknown" facet bucket

  var apiUrl = form.getAttribute("data-api");
  var panelsUrl = form.getAttribute("data-panels");
  var labels = {};
  try { labels = JSON.parse(form.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
  var docBase = form.getAttribute("data-documents");
  var indexed = parseInt(form.getAttribute("data-indexed") || "", 10);
  var q = document.getElementById("q");
  var el = {
    results: document.getElementById("results"),
    summary: document.getElementById("summary"),
    suggestion: document.getElementById("suggestion"),
    error: document.getElementById("error"),
    hits: document.getElementById("hits"),
    partialHits: document.getElementById("hits-partial"),
    partialHeading: document.getElementById("partial-heading"),
    notes: document.getElementById("notes"),
    empty: document.getElementById("empty"),
    pagination: document.getElementById("pagination"),
    facets: document.getElementById("facets"),
    panels: document.getElementById("panels"),
    clearFilters: document.getElementById("clear-filters"),
    filtersPanel: document.getElementById("filters-panel")
  };

  var page = parseInt(new URLSearchParams(window.location.search).get("page") || "1", 10) || 1;
  var seq = 0;           // id of the latest request; older answers are dropped
  var controller = null; // aborts the request in flight when a newer one starts
  var timer = null;
  var stories = false;   // facet counts are stories (count=stories), not articles
  var typing = false;    // the current history entry was made by typing (later ones replace it)
  var panelSeq = 0;
  var panelController = null;
  var chartMode = "count";  // the chart's values: "count" or "share"

  // -- small helpers ---------------------------------------------------------

  function h(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
          node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
        }
      });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function intFr(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f"); }

  function msFr(ms) {
    ms = Number(ms) || 0;
    return (ms < 10 ? ms.toFixed(1).replace(".", ",") : intFr(Math.round(ms))) + "\u00a0ms";
  }

  function plural(n, one, many) { return Math.abs(n) < 2 ? one : many; }

  function dateFr(value) {
    if (!value) { return "date inconnue"; }
    var m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
    if (!m) { return value; }
    if (!m[2]) { return m[1]; }
    var mi = parseInt(m[2], 10);
    if (mi < 1 || mi > 12) { return value; }
    if (!m[3]) { return MONTHS[mi - 1] + " " + m[1]; }
    var d = parseInt(m[3], 10);
    if (d < 1 || d > 31) { return value; }
    return (d === 1 ? "1er" : String(d)) + " " + MONTHS[mi - 1] + " " + m[1];
  }

  function monthFr(value) {
    var m = /^\d{4}-(\d{2})$/.exec(value || "");
    var mi = m ? parseInt(m[1], 10) : 0;
    return mi >= 1 && mi <= 12 ? MONTHS[mi - 1] : (value || "date inconnue");
  }

  function langFr(code) {
    if (!code || code === NULL_KEY) { return "langue inconnue"; }
    return LANGS[code.toLowerCase()] || code;
  }

  function docUrl(id, query) {
    var url = docBase + id.split("/").map(encodeURIComponent).join("/");
    var exact = document.getElementById("exact");
    var marks = exact && exact.checked ? "&exact=1" : "";
    return query ? url + "?q=" + encodeURIComponent(query) + marks : url;
  }

  /* A snippet is escaped text with <mark> around the matches. Parse it in an
   * inert document and copy only text and <mark> elements, as new nodes. */
  function appendSnippet(target, html) {
    var body = new DOMParser().parseFromString(String(html || ""), "text/html").body;
    Array.prototype.forEach.call(body.childNodes, function (node) {
      if (node.nodeType === 1 && node.nodeName === "MARK") {
        target.appendChild(h("mark", null, node.textContent));
      } else {
        target.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
  }

  // -- state <-> URL ---------------------------------------------------------

  function formParams() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") { p.append(key, value); }
    });
    if (p.get("sort") === "relevance") { p.delete("sort"); }
    if (p.get("count") === "articles") { p.delete("count"); }
    if (page > 1) { p.set("page", String(page)); }
    return p;
  }

  /* The page's parameters as the API's: month=YYYY-MM is date_from=date_to=YYYY-MM. */
  function apiParams(p) {
    var a = new URLSearchParams(p.toString());
    var month = a.get("month");
    if (month) {
      a.set("date_from", month);
      a.set("date_to", month);
      a.delete("month");
    }
    return a;
  }

  function isActive(p) {
    if ((p.get("q") || "").trim()) { return true; }
    return FILTER_KEYS.some(function (k) { return p.has(k); });
  }

  // -- rendering -------------------------------------------------------------

  /* Results listed: every full match with copies=all, else one per copy group; then
     every partial match. */
  function shownTotal(r) {
    return (r.copies === "all" ? r.total : r.total_stories) + (r.total_partial || 0);
  }

  function renderSummary(r) {
    clear(el.summary);
    var pages = Math.max(1, Math.ceil(shownTotal(r) / r.per_page));
    if (r.total) {
      el.summary.appendChild(h("strong", null, intFr(r.total)));
      el.summary.appendChild(document.createTextNode(
        " " + plural(r.total, "article trouvé", "articles trouvés")));
      el.summary.appendChild(h("span", {"class": "stories"}, " (" + intFr(r.total_stories) + " " +
        plural(r.total_stories, "histoire distincte", "histoires distinctes") +
        (r.copies !== "all" && r.total_stories < r.total ? ", une par groupe de copies" : "") + ")"));
    } else {
      el.summary.appendChild(document.createTextNode(
        r.total_partial ? "Aucun article ne contient tous les mots" : "Aucun article trouvé"));
    }
    if (r.total_partial) {
      el.summary.appendChild(document.createTextNode(", "));
      el.summary.appendChild(h("span", {"class": "summary-partial"}, intFr(r.total_partial) + " " +
        plural(r.total_partial, "en contient", "en contiennent") + " une partie"));
    }
    var tail = " en " + msFr(r.took_ms);
    if (r.page > pages) {
      tail += " · page " + intFr(r.page) + " : au-delà de la dernière (" + intFr(pages) + ")";
    } else if (pages > 1) { tail += " · page " + r.page + " sur " + intFr(pages); }
    el.summary.appendChild(document.createTextNode(tail));
    clear(el.notes);
    (r.notes || []).forEach(function (note) { el.notes.appendChild(h("li", null, note)); });
    el.notes.hidden = !(r.notes && r.notes.length);
  }

  function renderSuggestion(r) {
    clear(el.suggestion);
    el.suggestion.hidden = !r.suggestion;
    if (r.suggestion) {
      el.suggestion.appendChild(document.createTextNode("Essayez avec : "));
      var p = formParams();
      p.set("q", r.suggestion);
      p.delete("page");
      el.suggestion.appendChild(h("a", {href: "?" + p.toString(), "data-suggestion": r.suggestion},
                                  r.suggestion));
    }
  }

  function renderHits(r, query) {
    clear(el.hits);
    clear(el.partialHits);
    var first = (r.page - 1) * r.per_page + 1;
    var full = r.results.filter(function (hit) { return !hit.partial; });
    el.hits.setAttribute("start", String(first));
    el.partialHits.setAttribute("start", String(first + full.length));
    el.partialHeading.hidden = full.length === r.results.length;
    var count = el.partialHeading.querySelector(".partial-count");
    if (count) { count.textContent = "(" + intFr(r.total_partial || 0) + ")"; }
    r.results.forEach(function (hit) {
      var li = h("li", {"class": hit.partial ? "hit hit-partial" : "hit"});
      var title = h("h3", {"class": "hit-title"});
      var link = h("a", {href: docUrl(hit.id, query)});
      if (hit.title_html) { appendSnippet(link, hit.title_html); } else { link.textContent = hit.title || "Sans titre"; }
      title.appendChild(link);
      li.appendChild(title);
      var meta = h("p", {"class": "hit-meta"});
      meta.appendChild(h("span", {"class": "hit-source"}, hit.source || "source inconnue"));
      if (hit.author) {  // each name a link to the articles it signs
        meta.appendChild(h("span", {"class": "hit-author"}, " · par "));
        hit.author.split(",").forEach(function (name, i) {
          name = name.trim();
          if (!name) { return; }
          if (i) { meta.lastChild.appendChild(document.createTextNode(", ")); }
          meta.lastChild.appendChild(h("a", {href: "?author=" + encodeURIComponent(name)}, name));
        });
      }
      meta.appendChild(h("span", {"aria-hidden": "true"}, " · "));
      meta.appendChild(hit.date ? h("time", {datetime: hit.date}, dateFr(hit.date))
                                : h("span", null, "date inconnue"));
      if (hit.lang && hit.lang !== "fr") {
        meta.appendChild(h("span", {"aria-hidden": "true"}, " · "));
        meta.appendChild(h("span", {"class": "hit-lang"}, langFr(hit.lang)));
      }
      if (hit.copies && hit.copies.count && hit.group === hit.id) {
        meta.appendChild(h("span", {"aria-hidden": "true"}, " · "));
        meta.appendChild(h("strong", {"class": "first-published"}, "première publication"));
      }
      li.appendChild(meta);
      var snippet = h("p", {"class": "hit-snippet"});
      appendSnippet(snippet, hit.snippet);
      li.appendChild(snippet);
      if (hit.copies && hit.copies.count) { li.appendChild(renderCopies(hit, query)); }
      (hit.partial ? el.partialHits : el.hits).appendChild(li);
    });
  }

  function sourceDate(c) {
    return (c.source || "source inconnue") + " (" + (c.date ? dateFr(c.date) : "date inconnue") + ")";
  }

  /* A collapsed hit's other copies: a <details> that expands to the list. */
  function renderCopies(hit, query) {
    var n = hit.copies.count, items = hit.copies.items;
    var details = h("details", {"class": "hit-copies"});
    details.appendChild(h("summary", null, intFr(n) + " " + plural(n, "autre version", "autres versions") +
      " : " + items.slice(0, 3).map(sourceDate).join(", ") + (n > 3 ? "…" : "")));
    var ul = h("ul", {"class": "copies-list"});
    items.forEach(function (c) {
      var li = h("li");
      li.appendChild(h("a", {href: docUrl(c.id, query)}, c.title || "Sans titre"));
      li.appendChild(document.createTextNode(" · " + (c.source || "source inconnue") + " · "));
      li.appendChild(c.date ? h("time", {datetime: c.date}, dateFr(c.date)) : h("span", null, "date inconnue"));
      if (c.id === hit.group) {
        li.appendChild(document.createTextNode(" · "));
        li.appendChild(h("strong", {"class": "first-published"}, "première publication"));
      }
      ul.appendChild(li);
    });
    if (n > items.length) {
      var more = h("li");
      more.appendChild(h("a", {href: docUrl(hit.id, query) + "#versions"}, "et " + intFr(n - items.length) + " de plus"));
      ul.appendChild(more);
    }
    details.appendChild(ul);
    return details;
  }

  function renderEmpty(r, query) {
    clear(el.empty);
    el.empty.hidden = r.results.length > 0;
    if (r.results.length) { return; }
    if (shownTotal(r) && r.page > 1) {
      el.empty.appendChild(h("p", null, "Cette page est au-delà des résultats."));
      return;
    }
    var p = h("p");
    p.appendChild(h("strong", null, query ? "Aucun article ne correspond à «\u00a0" + query + "\u00a0»."
                                          : "Aucun article ne correspond à ces filtres."));
    el.empty.appendChild(p);
    var ul = h("ul");
    ["Vérifiez l'orthographe des mots, ou essayez un synonyme.",
     "Utilisez moins de mots, ou des mots plus généraux."].forEach(function (t) { ul.appendChild(h("li", null, t)); });
    var li = h("li", null, "Retirez des filtres (source, date, langue) : ");
    li.appendChild(h("a", {href: "?" + (query ? "q=" + encodeURIComponent(query) : ""), "class": "no-filters"},
                     "chercher sans filtre"));
    li.appendChild(document.createTextNode("."));
    ul.appendChild(li);
    el.empty.appendChild(ul);
  }

  function renderPagination(r) {
    clear(el.pagination);
    var pages = Math.max(1, Math.ceil(shownTotal(r) / r.per_page));
    el.pagination.hidden = pages <= 1;
    if (pages <= 1) { return; }
    var base = formParams();
    function link(n, label, attrs) {
      var p = new URLSearchParams(base.toString());
      if (n > 1) { p.set("page", String(n)); } else { p.delete("page"); }
      attrs = attrs || {};
      attrs.href = "?" + p.toString();
      attrs["data-page"] = n;
      var li = h("li");
      li.appendChild(h("a", attrs, label));
      return li;
    }
    var ul = h("ul");
    if (r.page > 1) { ul.appendChild(link(r.page - 1, "‹ Précédente", {rel: "prev"})); }
    var shown = [1, pages];
    for (var i = Math.max(1, r.page - 2); i <= Math.min(pages, r.page + 2); i++) { shown.push(i); }
    shown = shown.filter(function (v, k, a) { return a.indexOf(v) === k; }).sort(function (a, b) { return a - b; });
    var prev = 0;
    shown.forEach(function (n) {
      if (n - prev > 1) { ul.appendChild(h("li", {"class": "gap", "aria-hidden": "true"}, "…")); }
      ul.appendChild(n === r.page ? link(n, String(n), {"aria-current": "page"})
                                  : link(n, String(n), {"aria-label": "Page " + n}));
      prev = n;
    });
    if (r.page < pages) { ul.appendChild(link(r.page + 1, "Suivante ›", {rel: "next"})); }
    el.pagination.appendChild(ul);
  }

  function facetItems(values, selected) {
    var items = (values || []).map(function (v) {
      var key = v.value === null ? NULL_KEY : v.value;
      return {value: v.value, key: key, count: v.count, checked: selected.indexOf(key) >= 0};
    });
    selected.forEach(function (s) {
      if (!items.some(function (i) { return i.key === s; })) {
        items.push({value: s, key: s, count: 0, checked: true});
      }
    });
    return items;
  }

  function facetList(name, items, label, nested) {
    var ul = h("ul", {"class": "facet-values" + (name === "month" ? " facet-months" : "")});
    items.forEach(function (item) {
      var li = h("li");
      var lab = h("label", {"class": "facet-value"});
      lab.appendChild(h("input", {type: "checkbox", name: name, value: item.key, checked: item.checked}));
      lab.appendChild(document.createTextNode(" "));
      lab.appendChild(h("span", {"class": "facet-label"}, label(item.value)));
      lab.appendChild(document.createTextNode(" "));
      if (item.count !== null) lab.appendChild(h("span", {"class": "facet-count",
                                 "aria-label": item.count + " " + (stories ? plural(item.count, "histoire", "histoires")
                                                                            : plural(item.count, "article", "articles"))},
                        intFr(item.count)));
      li.appendChild(lab);
      if (nested) { var sub = nested(item); if (sub) { li.appendChild(sub); } }
      ul.appendChild(li);
    });
    return ul;
  }

  /* A facet with no value is left out (as on the server page). */
  function facetFieldset(id, legend, content) {
    var fs = h("fieldset", {"class": "facet", id: id});
    fs.appendChild(h("legend", null, legend));
    if (content) { fs.appendChild(content); } else { fs.hidden = true; }
    return fs;
  }

  function renderFacets(r, p, selectionOnly) {
    var active = document.activeElement;
    var focusKey = active && active.type === "checkbox" && el.facets.contains(active)
      ? [active.name, active.value] : null;
    var f = r.facets || {};
    var chosenYears = p.getAll("year");
    var year = chosenYears.length === 1 ? chosenYears[0] : "";  // months under a single year
    var month = p.get("month") || "";
    var months = facetItems((f.month || []).filter(function (m) {
      return year && (m.value || "").indexOf(year + "-") === 0;
    }), month ? [month] : []).sort(function (a, b) { return a.key < b.key ? -1 : a.key > b.key ? 1 : 0; });
    var sources = facetItems(f.source, p.getAll("source"));
    var years = facetItems(f.year, chosenYears).sort(function (a, b) {  // newest first, unknown last
      if ((a.key === NULL_KEY) !== (b.key === NULL_KEY)) { return a.key === NULL_KEY ? 1 : -1; }
      return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
    });
    var langs = facetItems(f.lang, p.getAll("lang"));
    stories = r.facets_count === "stories";
    if (selectionOnly) {  // after an error: the chosen values only, without counts
      [sources, years, langs, months].forEach(function (items) {
        items.forEach(function (i) { i.count = null; });
      });
    }

    clear(el.facets);
    if (!selectionOnly) {
      el.facets.appendChild(h("p", {"class": "facets-count", id: "facets-count"}, "Les nombres comptent " +
        (stories ? "les histoires (un groupe de copies compte une fois)." : "les articles (chaque copie compte).")));
    }
    el.facets.appendChild(facetFieldset("facet-source", "Source", sources.length &&
      facetList("source", sources, function (v) { return v || "source inconnue"; })));
    el.facets.appendChild(facetFieldset("facet-year", "Date de publication", years.length &&
      facetList("year", years, function (v) { return v || "date inconnue"; }, function (item) {
        return item.checked && months.length ? facetList("month", months, monthFr) : null;
      })));
    el.facets.appendChild(facetFieldset("facet-lang", "Langue", langs.length &&
      facetList("lang", langs, langFr)));
    [["person", "Personnes"], ["org", "Organisations"], ["place", "Lieux"]].forEach(function (k) {
      var items = facetItems(f[k[0]], p.getAll(k[0]));  // entity facets (searchsvc.search.entities)
      if (items.length) {
        var fs = facetFieldset("facet-" + k[0], k[1], facetList(k[0], items, function (v) { return v; }));
        fs.classList.add("facet-entity");
        el.facets.appendChild(fs);
      }
    });

    if (focusKey) {
      var boxes = el.facets.querySelectorAll("input[type=checkbox]");
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].name === focusKey[0] && boxes[i].value === focusKey[1]) { boxes[i].focus(); break; }
      }
    }
  }

  function markInvalid(field) {
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-errormessage");
    });
    var target = field && document.getElementById(field === "compare" ? "q" : field);
    if (target && target.form === form) {
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-errormessage", "error");
    }
  }

  /* As on the server page: the message, then the field named by its French label
     (a link to it); the facets keep only what is chosen (no stale counts). */
  function renderError(message, field, p) {
    clear(el.error);
    el.error.hidden = false;
    el.error.appendChild(h("p", null, message || "La recherche a échoué. Réessayez dans un instant."));
    if (message) {
      var fix = h("p");
      if (field && labels[field]) {
        fix.appendChild(document.createTextNode("Corrigez le champ "));
        fix.appendChild(h("a", {href: "#" + (field === "compare" ? "q" : field)}, "«\u00a0" + labels[field] + "\u00a0»"));
        fix.appendChild(document.createTextNode(" puis relancez la recherche."));
      } else {
        fix.textContent = "Corrigez ce paramètre puis relancez la recherche.";
      }
      el.error.appendChild(fix);
    }
    markInvalid(field);
    if (p) { renderFacets({facets: {}}, p, true); }
    clear(el.panels);
    showClearFilters(p || formParams(), true);
    [el.hits, el.partialHits, el.summary, el.notes].forEach(clear);
    el.empty.hidden = el.pagination.hidden = el.suggestion.hidden = true;
    el.partialHeading.hidden = el.notes.hidden = true;
  }

  function renderIdle() {
    markInvalid(null);
    showClearFilters(new URLSearchParams(), false);
    [el.hits, el.partialHits, el.facets, el.summary, el.notes].forEach(clear);
    el.summary.textContent = (isNaN(indexed) ? "" : intFr(indexed) + " " +
      plural(indexed, "article indexé", "articles indexés") + ". ") + "Tapez des mots pour chercher.";
    el.error.hidden = el.empty.hidden = el.pagination.hidden = el.suggestion.hidden = true;
    el.partialHeading.hidden = el.notes.hidden = true;
  }

  function renderQuotes(p) {  // the "Citations" of the search (GET /api/quotes)
    var sec = document.getElementById("search-quotes");
    if (!sec) { return; }
    var qp = new URLSearchParams(p);
    qp.set("limit", "5");
    qp.delete("page");
    fetch(sec.getAttribute("data-api") + "?" + qp.toString()).then(function (resp) {
      return resp.ok ? resp.json() : {quotes: []};
    }).then(function (data) {
      var ol = sec.querySelector("ol");
      clear(ol);
      data.quotes.forEach(function (qt) {
        var li = h("li");
        li.appendChild(h("blockquote", null, "« " + qt.text + " »"));
        var who = qt.speaker || (qt.role ? qt.role + " (non nommé)" : "auteur inconnu");
        var meta = h("p", {"class": "quote-meta"}, "— " + who + " · ");
        meta.appendChild(h("a", {href: docUrl(qt.id) + "#quotes"}, qt.title || qt.id));
        var where = [qt.source, qt.date].filter(function (x) { return x; }).join(", ");
        if (where) { meta.appendChild(document.createTextNode(" · " + where)); }
        li.appendChild(meta);
        ol.appendChild(li);
      });
      var note = sec.querySelector(".quotes-note");
      if (note) {
        note.textContent = (data.notes || []).join(" ");
        note.hidden = !(data.notes && data.notes.length);
      }
      sec.hidden = !data.quotes.length && !(data.notes && data.notes.length);
    }).catch(function () { sec.hidden = true; });
  }

  function render(r, p) {
    el.error.hidden = true;
    clear(el.error);
    markInvalid(null);
    showClearFilters(p, true);
    var query = (p.get("q") || "").trim();
    renderSummary(r);
    renderSuggestion(r);
    renderHits(r, query);
    renderEmpty(r, query);
    renderPagination(r);
    renderFacets(r, p);
    renderQuotes(p);
    document.title = (query ? query + " – " : "") + "Recherche d'articles · searchsvc";
  }

  // -- filters: "Effacer les filtres", the phone panel --------------------------

  function showClearFilters(p, active) {
    if (!el.clearFilters) { return; }
    el.clearFilters.hidden = !active;
    var query = (p.get("q") || "").trim();
    el.clearFilters.setAttribute("href", "?" + (query ? "q=" + encodeURIComponent(query) : ""));
  }

  /* Every filter back to its default, the query kept (what the server's link does). */
  function clearFilters() {
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
    ["date_from", "date_to"].forEach(function (id) { document.getElementById(id).value = ""; });
    form.querySelectorAll("select").forEach(function (sel) { sel.selectedIndex = 0; });
    form.querySelectorAll("input[name=compare]").forEach(function (box) { box.value = ""; });
  }

  var phone = window.matchMedia ? window.matchMedia("(max-width: 50rem)") : null;
  if (el.filtersPanel && phone && phone.matches && !form.querySelector(".filters [aria-invalid=true]")) {
    el.filtersPanel.open = false;  // a collapsed panel above the results
  }

  // -- the panels above the results (timeline, words, corpus) -------------------

  /* The server's fragment, parsed inertly and moved in node by node. */
  function loadPanels(p) {
    var mine = ++panelSeq;
    if (panelController) { panelController.abort(); }
    panelController = window.AbortController ? new AbortController() : null;
    el.panels.classList.add("loading");
    fetch(panelsUrl + "?" + p.toString(), {
      headers: {Accept: "text/html"}, credentials: "same-origin",
      signal: panelController ? panelController.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (text) { return {status: resp.status, text: text}; });
    }).then(function (res) {
      if (mine !== panelSeq) { return; }
      el.panels.classList.remove("loading");
      clear(el.panels);
      if (res.status !== 200) { return; }
      var body = new DOMParser().parseFromString(res.text, "text/html").body;
      while (body.firstChild) { el.panels.appendChild(document.adoptNode(body.firstChild)); }
      var mode = document.getElementById("mode-" + chartMode);
      if (mode) { mode.checked = true; }  // the raw/share choice outlives a new search
    }).catch(function () {
      if (mine === panelSeq) { el.panels.classList.remove("loading"); }
    });
  }

  // -- history ---------------------------------------------------------------

  /* The form as the URL ``p`` says (Back and Forward). */
  function fillForm(p) {
    clearFilters();
    q.value = p.get("q") || "";
    if (!p.get("month")) {
      document.getElementById("date_from").value = p.get("date_from") || "";
      document.getElementById("date_to").value = p.get("date_to") || "";
    }
    ["sort", "interval"].forEach(function (name) {
      var sel = form.querySelector("select[name=" + name + "]");
      if (sel && p.get(name)) { sel.value = p.get(name); }
    });
    form.querySelectorAll("input[name=count]").forEach(function (radio) {
      radio.checked = radio.value === (p.get("count") || "articles");
    });
    var copies = document.getElementById("copies");
    if (copies) { copies.checked = p.get("copies") === "all"; }
    var exact = document.getElementById("exact");
    if (exact) { exact.checked = p.get("exact") === "1"; }
    var compare = p.getAll("compare");
    form.querySelectorAll("input[name=compare]").forEach(function (box, i) { box.value = compare[i] || ""; });
    form.querySelectorAll("#facets input[type=checkbox]").forEach(function (box) {
      box.checked = p.getAll(box.name).indexOf(box.value) >= 0;
    });
    page = parseInt(p.get("page") || "1", 10) || 1;
  }

  function remember(p, how) {
    var qs = p.toString();
    var url = window.location.pathname + (qs ? "?" + qs : "");
    if (url === window.location.pathname + window.location.search) { return; }
    if (how === "typing" && typing) {
      window.history.replaceState(null, "", url);
    } else {
      window.history.pushState(null, "", url);
    }
    typing = how === "typing";
  }

  // -- fetching --------------------------------------------------------------

  function busy(on) {
    el.results.classList.toggle("loading", on);
    el.results.setAttribute("aria-busy", on ? "true" : "false");
  }

  /* Search what the form says (or ``given``, from the URL), and record it in the
     history: ``how`` is "push" (default), "typing" (one entry per typing run) or
     "none" (Back/Forward: the entry exists). */
  function update(how, given) {
    window.clearTimeout(timer);
    var p = given || formParams();
    if (how !== "none") { remember(p, how || "push"); }
    var mine = ++seq;
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    loadPanels(p);
    if (!isActive(p)) { busy(false); renderIdle(); return; }
    busy(true);
    fetch(apiUrl + "?" + apiParams(p).toString(), {
      headers: {Accept: "application/json"},
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      return resp.json().then(function (body) { return {status: resp.status, body: body}; });
    }).then(function (res) {
      if (mine !== seq) { return; }  // a newer request was sent meanwhile
      busy(false);
      if (res.status === 200) { render(res.body, p); }
      else {
        var err = (res.body && res.body.error) || {};
        renderError(err.message, err.field, p);
      }
    }).catch(function (err) {
      if (mine !== seq || (err && err.name === "AbortError")) { return; }
      busy(false);
      renderError(null, null, p);
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { update("typing"); }, DEBOUNCE_MS);
  }

  // -- events ----------------------------------------------------------------

  q.addEventListener("input", function () { page = 1; later(); });

  form.addEventListener("input", function (ev) {
    var t = ev.target;
    if (t.id === "date_from" || t.id === "date_to" || t.name === "compare") { page = 1; later(); }
  });

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.form !== form) { return; }  // the chart's own controls (raw/share)
    if (t === q || t.id === "date_from" || t.id === "date_to" || t.name === "compare") { return; }  // on input
    if (t.type === "checkbox" && t.checked && EXCLUSIVE[t.name]) {
      form.querySelectorAll("input[type=checkbox][name=" + t.name + "]").forEach(function (box) {
        if (box !== t) { box.checked = false; }
      });
    }
    if (t.name === "year") {  // months belong to the chosen year
      form.querySelectorAll("input[name=month]").forEach(function (box) { box.checked = false; });
    }
    page = 1;
    update();
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    page = 1;
    update();
  });

  window.addEventListener("popstate", function () {
    var p = new URLSearchParams(window.location.search);
    typing = false;
    fillForm(p);
    update("none", p);
  });

  form.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("#clear-filters, a.no-filters");
    if (!a) { return; }
    ev.preventDefault();
    clearFilters();
    page = 1;
    update();
  });

  el.pagination.addEventListener("click", function (ev) {
    var a = ev.target.closest("a[data-page]");
    if (!a) { return; }
    ev.preventDefault();
    page = parseInt(a.getAttribute("data-page"), 10) || 1;
    update();
    el.summary.setAttribute("tabindex", "-1");
    el.summary.focus();
    el.results.scrollIntoView({block: "start"});
  });

  el.suggestion.addEventListener("click", function (ev) {
    var a = ev.target.closest("a[data-suggestion]");
    if (!a) { return; }
    ev.preventDefault();
    q.value = a.getAttribute("data-suggestion");
    page = 1;
    update();
    q.focus();
  });

  // -- the panels: a word adds itself to the query; the chart's figures and periods

  el.panels.addEventListener("click", function (ev) {
    var word = ev.target.closest("a[data-term]");
    if (word) {
      ev.preventDefault();
      var term = word.getAttribute("data-term");
      q.value = (q.value.trim() + " " + (/\s/.test(term) ? '"' + term + '"' : term)).trim();
      page = 1;
      update();
      return;
    }
    if (ev.target.closest("a.bucket")) { ev.preventDefault(); }  // handled by the pointer events
  });

  document.addEventListener("change", function (ev) {
    if (ev.target.name === "chart-mode") { chartMode = ev.target.value; }
  });

  function tip(text) {
    var t = document.getElementById("chart-tip");
    if (t) { t.textContent = text || ""; }
  }

  el.panels.addEventListener("mouseover", function (ev) {
    var b = ev.target.closest && ev.target.closest("a.bucket");
    if (b) { tip(b.getAttribute("data-tip")); }
  });
  el.panels.addEventListener("focusin", function (ev) {
    var b = ev.target.closest && ev.target.closest("a.bucket");
    if (b) { tip(b.getAttribute("data-tip")); }
  });

  /* Selecting a span: press on a bar, move over others, release: the results are
     those of the periods from the first bar to the last. A click is a span of one. */
  var drag = null;

  function buckets(svg) { return Array.prototype.slice.call(svg.querySelectorAll("a.bucket")); }

  function bucketAt(ev) {
    var node = document.elementFromPoint(ev.clientX, ev.clientY);
    return node && node.closest ? node.closest("a.bucket") : null;
  }

  function markSpan(svg, a, b) {
    var lo = Math.min(a, b), hi = Math.max(a, b);
    buckets(svg).forEach(function (node) {
      var i = parseInt(node.getAttribute("data-index"), 10);
      node.classList.toggle("selected", i >= lo && i <= hi);
    });
  }

  el.panels.addEventListener("pointerdown", function (ev) {
    var b = ev.target.closest && ev.target.closest("a.bucket");
    if (!b || ev.button !== 0) { return; }
    ev.preventDefault();
    var svg = b.closest("svg");
    var i = parseInt(b.getAttribute("data-index"), 10);
    drag = {svg: svg, from: i, to: i};
    markSpan(svg, i, i);
  });

  document.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    var b = bucketAt(ev);
    if (!b || b.closest("svg") !== drag.svg) { return; }
    drag.to = parseInt(b.getAttribute("data-index"), 10);
    markSpan(drag.svg, drag.from, drag.to);
    var all = buckets(drag.svg);
    var lo = all[Math.min(drag.from, drag.to)], hi = all[Math.max(drag.from, drag.to)];
    tip("Du " + dateFr(lo.getAttribute("data-start")) + " au " + dateFr(hi.getAttribute("data-end")));
  });

  document.addEventListener("pointerup", function () {
    if (!drag) { return; }
    var all = buckets(drag.svg);
    var lo = all[Math.min(drag.from, drag.to)], hi = all[Math.max(drag.from, drag.to)];
    drag = null;
    document.getElementById("date_from").value = lo.getAttribute("data-start");
    document.getElementById("date_to").value = hi.getAttribute("data-end");
    form.querySelectorAll("input[name=year], input[name=month]").forEach(function (box) { box.checked = false; });
    page = 1;
    update();
  });

  el.panels.addEventListener("keydown", function (ev) {  // Enter on a focused bar: its period
    var b = ev.target.closest && ev.target.closest("a.bucket");
    if (!b || ev.key !== "Enter") { return; }
    ev.preventDefault();
    document.getElementById("date_from").value = b.getAttribute("data-start");
    document.getElementById("date_to").value = b.getAttribute("data-end");
    form.querySelectorAll("input[name=year], input[name=month]").forEach(function (box) { box.checked = false; });
    page = 1;
    update();
  });
})();

// Filters and sorts the findings list. Progressive enhancement: without this
// script every finding is listed, biggest savings first. It reads the rows'
// data-* attributes (raw values written by Rust), only moves, hides and shows
// existing elements and sets text with textContent: it never builds HTML from
// strings and makes no requests. The filter state lives in the URL hash
// (#risk=non-disruptive&min=50) so a filtered view can be shared.
// Note for editors: this file is an askama include; avoid brace-percent,
// double-brace and brace-hash sequences.
(function () {
  'use strict';
  var list = document.getElementById('findings-list');
  var controls = document.getElementById('findings-controls');
  if (!list || !controls) {
    return;
  }
  var section = document.getElementById('findings');
  var status = document.getElementById('findings-status');
  var none = document.getElementById('findings-none');
  var minInput = document.getElementById('filter-min');
  var searchInput = document.getElementById('filter-q');
  var selects = Array.prototype.slice.call(controls.querySelectorAll('select[data-filter]'));
  var headers = Array.prototype.slice.call(list.querySelectorAll('.fhead [data-sort]'));
  var DEFAULT_SORT = { key: 'savings', dir: 'desc' };
  var sort = { key: DEFAULT_SORT.key, dir: DEFAULT_SORT.dir };

  // The value a row sorts by, and the direction of the first click on its column.
  var SORTS = {
    rule: { first: 'asc', value: function (r) { return r.rule; } },
    resource: { first: 'asc', value: function (r) { return r.resource; } },
    where: { first: 'asc', value: function (r) { return r.accountLabel + '\u0000' + r.region; } },
    cost: { first: 'desc', value: function (r) { return r.cost; } },
    savings: { first: 'desc', value: function (r) { return r.savings; } },
    confidence: { first: 'desc', value: function (r) { return r.confidenceRank; } },
    risk: { first: 'asc', value: function (r) { return r.riskRank; } }
  };

  function number(text) {
    var value = parseFloat(text);
    return isFinite(value) ? value : 0;
  }

  var rows = Array.prototype.slice.call(list.querySelectorAll('details.finding')).map(function (el, index) {
    var d = el.dataset;
    var text = ['.rule', '.resource', '.title'].map(function (selector) {
      var part = el.querySelector('summary ' + selector);
      return part ? part.textContent : '';
    });
    return {
      el: el,
      index: index,
      rule: d.rule || '',
      resource: d.resource || '',
      category: d.category || '',
      account: d.account || '',
      accountLabel: d.accountLabel || d.account || '',
      region: d.region || '',
      risk: d.risk || '',
      riskLabel: d.riskLabel || d.risk || '',
      riskRank: number(d.riskRank),
      confidenceRank: number(d.confidenceRank),
      savings: number(d.savings),
      cost: number(d.cost),
      counted: d.counted === '1',
      haystack: text.join(' ').replace(/\s+/g, ' ').toLowerCase()
    };
  });

  // Money exactly as Rust's format::money_whole writes it: whole dollars with
  // thousands separators, cents under $10. Rust rounds exact ties to even,
  // JavaScript's toFixed rounds them up, so ties are detected on the exact
  // decimal expansion of the number.
  function fixed(value, decimals) {
    var abs = Math.abs(value);
    var text = abs.toFixed(decimals);
    if (abs >= 1e21) {
      return text;
    }
    var exact = abs.toFixed(100);
    var cut = exact.indexOf('.') + 1 + decimals;
    if (/^50*$/.test(exact.slice(cut))) {
      var kept = exact.slice(0, cut).replace(/\.$/, '');
      if (Number(kept.charAt(kept.length - 1)) % 2 === 0) {
        text = kept;
      }
    }
    return text;
  }

  function money(value, decimals) {
    if (!isFinite(value)) {
      return 'n/a';
    }
    var parts = fixed(value, decimals).split('.');
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var text = parts.length > 1 ? whole + '.' + parts[1] : whole;
    var negative = value < 0 && /[1-9]/.test(text);
    return (negative ? '-$' : '$') + text;
  }

  function moneyWhole(value) {
    return Math.abs(value) < 10 ? money(value, 2) : money(value, 0);
  }

  // Fill each select with the values present in the rows, with their counts.
  var LABELS = {
    category: function (r) { return r.category; },
    account: function (r) { return r.accountLabel; },
    region: function (r) { return r.region; },
    risk: function (r) { return r.riskLabel; }
  };
  var ORDER = {
    risk: function (a, b) { return a.rank - b.rank; }
  };
  selects.forEach(function (select) {
    var key = select.dataset.filter;
    var seen = {};
    var options = [];
    rows.forEach(function (r) {
      var value = r[key];
      if (!Object.prototype.hasOwnProperty.call(seen, value)) {
        seen[value] = { value: value, label: LABELS[key](r), rank: r.riskRank, count: 0 };
        options.push(seen[value]);
      }
      seen[value].count += 1;
    });
    options.sort(ORDER[key] || function (a, b) {
      return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
    });
    options.forEach(function (o) {
      select.appendChild(new Option(o.label + ' (' + o.count + ')', o.value));
    });
  });

  function filters() {
    var state = {};
    selects.forEach(function (select) {
      state[select.dataset.filter] = select.value;
    });
    var min = parseFloat(minInput.value);
    state.min = isFinite(min) ? min : null;
    state.terms = searchInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    return state;
  }

  function matches(r, state) {
    for (var i = 0; i < selects.length; i += 1) {
      var key = selects[i].dataset.filter;
      if (state[key] !== '' && r[key] !== state[key]) {
        return false;
      }
    }
    if (state.min !== null && !(r.savings >= state.min)) {
      return false;
    }
    return state.terms.every(function (term) {
      return r.haystack.indexOf(term) !== -1;
    });
  }

  function compare(a, b) {
    var value = SORTS[sort.key].value;
    var x = value(a);
    var y = value(b);
    var order = x < y ? -1 : x > y ? 1 : 0;
    if (sort.dir === 'desc') {
      order = -order;
    }
    // Equal values keep the page's order (biggest savings first).
    return order || a.index - b.index;
  }

  // The state as hash parameters; defaults are left out.
  function hashOf(state) {
    var params = new URLSearchParams();
    selects.forEach(function (select) {
      if (select.value) {
        params.set(select.dataset.filter, select.value);
      }
    });
    if (state.min !== null) {
      params.set('min', minInput.value.trim());
    }
    if (searchInput.value.trim()) {
      params.set('q', searchInput.value.trim());
    }
    if (sort.key !== DEFAULT_SORT.key || sort.dir !== DEFAULT_SORT.dir) {
      params.set('sort', sort.key + '-' + sort.dir);
    }
    return params.toString();
  }

  function writeHash(hash) {
    if (location.hash.slice(1) === hash) {
      return;
    }
    var url = hash ? '#' + hash : location.pathname + location.search;
    try {
      history.replaceState(null, '', url);
    } catch (e) {
      location.hash = hash;
    }
  }

  function update(updateHash) {
    var state = filters();
    var shown = 0;
    var savings = 0;
    // Sum in the page's order so that, unfiltered, the figure is the headline's.
    rows.forEach(function (r) {
      var visible = matches(r, state);
      r.el.hidden = !visible;
      if (visible) {
        shown += 1;
        if (r.counted) {
          savings += r.savings;
        }
      }
    });
    var fragment = document.createDocumentFragment();
    rows.slice().sort(compare).forEach(function (r) {
      fragment.appendChild(r.el);
    });
    list.appendChild(fragment);
    headers.forEach(function (header) {
      if (header.dataset.sort === sort.key) {
        header.setAttribute('aria-sort', sort.dir === 'asc' ? 'ascending' : 'descending');
      } else {
        header.removeAttribute('aria-sort');
      }
    });
    status.textContent =
      'Showing ' + shown + ' of ' + rows.length + ' findings \u00b7 ' + moneyWhole(savings) + '/month';
    none.hidden = shown > 0;
    if (updateHash) {
      writeHash(hashOf(state));
    }
  }

  // A hash like #risk=non-disruptive&min=50 holds filter state; #finding-3 is an anchor.
  function stateHash() {
    var hash = location.hash.slice(1);
    return hash.indexOf('=') === -1 ? null : new URLSearchParams(hash);
  }

  function apply(params) {
    selects.forEach(function (select) {
      select.value = params.get(select.dataset.filter) || '';
      if (select.selectedIndex === -1) {
        select.selectedIndex = 0;
      }
    });
    minInput.value = params.get('min') || '';
    searchInput.value = params.get('q') || '';
    var wanted = (params.get('sort') || '').split('-');
    var dir = wanted.pop();
    var key = wanted.join('-');
    if (Object.prototype.hasOwnProperty.call(SORTS, key) && (dir === 'asc' || dir === 'desc')) {
      sort = { key: key, dir: dir };
    } else {
      sort = { key: DEFAULT_SORT.key, dir: DEFAULT_SORT.dir };
    }
  }

  function clearFilters() {
    selects.forEach(function (select) {
      select.selectedIndex = 0;
    });
    minInput.value = '';
    searchInput.value = '';
  }

  // The element an in-page link (`#finding-3`) points to, if any.
  function anchored(fragment) {
    try {
      return fragment ? document.getElementById(decodeURIComponent(fragment)) : null;
    } catch (e) {
      return null;
    }
  }

  // An anchor to a finding the filters hide (a link from the action plan) clears the filters and opens it.
  function reveal() {
    var target = anchored(location.hash.slice(1));
    if (!target || !target.classList.contains('finding') || !list.contains(target)) {
      return;
    }
    if (target.hidden) {
      clearFilters();
      update(false);
    }
    target.open = true;
    target.scrollIntoView();
  }

  selects.forEach(function (select) {
    select.addEventListener('change', function () { update(true); });
  });
  minInput.addEventListener('input', function () { update(true); });
  searchInput.addEventListener('input', function () { update(true); });
  document.getElementById('filter-reset').addEventListener('click', function () {
    clearFilters();
    update(true);
  });
  headers.forEach(function (header) {
    var button = header.querySelector('button');
    button.disabled = false;
    button.addEventListener('click', function () {
      var key = header.dataset.sort;
      if (sort.key === key) {
        sort = { key: key, dir: sort.dir === 'asc' ? 'desc' : 'asc' };
      } else {
        sort = { key: key, dir: SORTS[key].first };
      }
      update(true);
    });
  });
  // A click on a link to a finding the filters hide (the action plan links every finding) clears the
  // filters first, so that the browser can scroll to it; the hashchange handler then opens it.
  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
    var target = link ? anchored(link.getAttribute('href').slice(1)) : null;
    if (target && target.hidden && list.contains(target)) {
      clearFilters();
      update(false);
    }
  });
  window.addEventListener('hashchange', function () {
    var params = stateHash();
    if (params) {
      apply(params);
      update(false);
    } else {
      reveal();
    }
  });

  controls.hidden = false;
  section.classList.add('sortable');
  var initial = stateHash();
  if (initial) {
    apply(initial);
    update(true);
  } else {
    update(false);
    reveal();
  }
})();

// Copy buttons on the remediation blocks, and opening a rule's documentation when a finding links to it.
// Without the script the blocks are plain, selectable text and the documentation opens with a click.
(function () {
  'use strict';
  function copyText(text, button) {
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(function () { button.textContent = 'Copy'; }, 1500);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(text)); });
    } else {
      done(fallback(text));
    }
  }
  // file:// pages and older browsers may refuse the clipboard API; a hidden textarea and execCommand work there.
  function fallback(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }
  Array.prototype.forEach.call(document.querySelectorAll('.fbody pre'), function (pre) {
    var code = pre.querySelector('code');
    if (!code) {
      return;
    }
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy to the clipboard');
    button.addEventListener('click', function () { copyText(code.textContent, button); });
    pre.appendChild(button);
  });

  function openRuleDoc() {
    var id = location.hash.slice(1);
    if (id.indexOf('rule-') !== 0) {
      return;
    }
    var row = document.getElementById(id);
    var doc = row ? row.querySelector('details.ruledoc') : null;
    if (doc) {
      doc.open = true;
    }
  }
  window.addEventListener('hashchange', openRuleDoc);
  openRuleDoc();
})();

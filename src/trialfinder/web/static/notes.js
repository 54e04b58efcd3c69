// Private notes on a trial page: select a passage, add a note to it; the notes' passages are marked in the text.
// Without this script the form still works (the passage is typed or pasted into it), and every note is listed.
// No inline script or style anywhere (the Content-Security-Policy forbids both): everything is wired up here.
(function () {
  "use strict";

  var CONTEXT = 32; // characters of text kept either side of a selection, as the server keeps them
  var FOLD = { "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2013": "-", "\u2014": "-", "\u2010": "-" };

  var form = document.getElementById("note-form");
  var list = document.querySelector(".notes-list");
  if (!form) return;

  function sectionsNamed(name) {
    return Array.prototype.slice.call(document.querySelectorAll('[data-note-section="' + name + '"]'));
  }

  function sectionOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element ? element.closest("[data-note-section]") : null;
  }

  // --- text of a section, folded, with a way back to the DOM -------------------------------------------------------
  // Whitespace is left out altogether: the page and the server break lines in different places, and a passage is
  // found the same way wherever its spaces fall. Case, typographic quotes and dashes are folded as the server folds.

  function textNodes(name) {
    var nodes = [];
    sectionsNamed(name).forEach(function (root) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
        acceptNode: function (node) {
          return node.parentElement && node.parentElement.closest(".note-ref, .visually-hidden")
            ? NodeFilter.FILTER_REJECT
            : NodeFilter.FILTER_ACCEPT;
        },
      });
      while (walker.nextNode()) nodes.push(walker.currentNode);
    });
    return nodes;
  }

  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (/\s/.test(c)) continue;
      out += (FOLD[c] || c).toLowerCase();
    }
    return out;
  }

  function index(name) {
    var folded = "";
    var map = []; // for each folded character: [text node, offset]
    textNodes(name).forEach(function (node) {
      var value = node.nodeValue;
      for (var i = 0; i < value.length; i++) {
        var c = value[i];
        if (/\s/.test(c)) continue;
        var f = (FOLD[c] || c).toLowerCase();
        for (var j = 0; j < f.length; j++) {
          folded += f[j];
          map.push([node, i]);
        }
      }
    });
    return { text: folded, map: map };
  }

  function commonSuffix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
    return n;
  }

  function commonPrefix(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  }

  // The occurrence of the passage whose surroundings best match the note's prefix and suffix.
  function locate(idx, quote, prefix, suffix) {
    var q = fold(quote);
    if (!q) return null;
    var p = fold(prefix);
    var s = fold(suffix);
    var best = null;
    var bestScore = -1;
    for (var at = idx.text.indexOf(q); at !== -1; at = idx.text.indexOf(q, at + 1)) {
      var score =
        commonSuffix(idx.text.slice(Math.max(0, at - p.length), at), p) +
        commonPrefix(idx.text.slice(at + q.length, at + q.length + s.length), s);
      if (score > bestScore) {
        best = at;
        bestScore = score;
      }
    }
    return best === null ? null : { start: best, end: best + q.length };
  }

  // --- marking the notes' passages ---------------------------------------------------------------------------------

  function mark(item) {
    var quote = item.getAttribute("data-quote");
    var name = item.getAttribute("data-section");
    if (!quote || !name) return;
    var idx = index(name);
    var found = locate(idx, quote, item.getAttribute("data-prefix") || "", item.getAttribute("data-suffix") || "");
    if (!found) return;
    var first = idx.map[found.start];
    var last = idx.map[found.end - 1];
    // Wrap each text node's share of the passage in its own <mark>, last node first so offsets stay valid.
    var pieces = [];
    var nodes = textNodes(name);
    var inside = false;
    nodes.forEach(function (node) {
      if (node === first[0]) inside = true;
      if (!inside) return;
      var from = node === first[0] ? first[1] : 0;
      var to = node === last[0] ? last[1] + 1 : node.nodeValue.length;
      if (to > from && node.nodeValue.slice(from, to).trim()) pieces.push([node, from, to]);
      if (node === last[0]) inside = false;
    });
    var id = item.getAttribute("data-note-id");
    var number = item.getAttribute("data-number");
    var marks = [];
    for (var i = pieces.length - 1; i >= 0; i--) {
      var node = pieces[i][0];
      var range = document.createRange();
      range.setStart(node, pieces[i][1]);
      range.setEnd(node, pieces[i][2]);
      var element = document.createElement("mark");
      element.className = "note-mark";
      element.setAttribute("data-note-id", id);
      range.surroundContents(element);
      marks.unshift(element);
    }
    if (!marks.length) return;
    // After the passage, a link to the note: its number, announced as "note 2".
    var ref = document.createElement("a");
    ref.className = "note-ref";
    ref.href = "#note-" + id;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = (item.closest("[data-note-word]") || list).getAttribute("data-note-word") + " ";
    ref.appendChild(hidden);
    ref.appendChild(document.createTextNode(number));
    var lastMark = marks[marks.length - 1];
    lastMark.parentNode.insertBefore(ref, lastMark.nextSibling);
  }

  if (list) {
    Array.prototype.forEach.call(list.querySelectorAll("li[data-note-id]"), function (item) {
      try {
        mark(item);
      } catch (error) {
        // A passage that cannot be marked is still listed with its note; nothing else depends on it.
      }
    });
  }

  // --- selecting a passage -----------------------------------------------------------------------------------------

  var button = document.createElement("button");
  button.type = "button";
  button.className = "note-add-button";
  button.hidden = true;
  button.textContent = form.getAttribute("data-add-label") || "Add a note";
  document.body.appendChild(button);
  var chosen = null;

  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var start = sectionOf(range.startContainer);
    var end = sectionOf(range.endContainer);
    if (!start || !end || start.getAttribute("data-note-section") !== end.getAttribute("data-note-section")) return null;
    if (form.contains(range.startContainer)) return null;
    var quote = selection.toString().trim();
    if (quote.length < 2) return null;
    var before = document.createRange();
    before.setStart(start, 0);
    before.setEnd(range.startContainer, range.startOffset);
    var after = document.createRange();
    after.setStart(range.endContainer, range.endOffset);
    after.setEnd(end, end.childNodes.length);
    return {
      section: start.getAttribute("data-note-section"),
      quote: quote.slice(0, 1000),
      prefix: before.toString().slice(-CONTEXT * 2),
      suffix: after.toString().slice(0, CONTEXT * 2),
      rect: range.getBoundingClientRect(),
    };
  }

  function update() {
    chosen = currentSelection();
    if (!chosen) {
      button.hidden = true;
      return;
    }
    button.hidden = false;
    button.style.top = window.scrollY + chosen.rect.bottom + 6 + "px";
    button.style.left = Math.max(8, window.scrollX + chosen.rect.left) + "px";
  }

  document.addEventListener("mouseup", function () {
    window.setTimeout(update, 0);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key === "Shift") update();
  });
  document.addEventListener("selectionchange", function () {
    if (!window.getSelection() || window.getSelection().isCollapsed) button.hidden = true;
  });

  button.addEventListener("click", function () {
    if (!chosen) return;
    form.elements.section.value = chosen.section;
    form.elements.quote.value = chosen.quote;
    form.elements.prefix.value = chosen.prefix;
    form.elements.suffix.value = chosen.suffix;
    button.hidden = true;
    form.scrollIntoView({ block: "nearest" });
    form.elements.body.focus();
  });
})();

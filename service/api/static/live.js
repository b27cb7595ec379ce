// Wiredesk dashboard live updates: one EventSource on GET /events (server-sent events).
//
// Contract (the events stream): event types story.created, story.updated, story.merged and
// brief.changed; each data is JSON {"story_id", "version", "title", "outlets", "at"};
// the query filters story_id and outlet narrow the stream. Values are only ever set as text
// (textContent), never as markup.
(function () {
  "use strict";
  var TYPES = ["story.created", "story.updated", "story.merged", "brief.changed"];
  var body = document.body;
  var page = body.getAttribute("data-page");
  var status = document.getElementById("live-status");
  var news = document.getElementById("live-news");
  var received = 0;

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function tag(text) {
    var span = document.createElement("span");
    span.className = "tag";
    span.textContent = text;
    return span;
  }

  function when(seconds) {
    var d = new Date(seconds * 1000);
    return d.toISOString().slice(0, 16).replace("T", " ");
  }

  function storyLink(id) {
    return "/dashboard/stories/" + encodeURIComponent(id);
  }

  function notice(text, href, linkText) {
    if (!news) { return; }
    news.textContent = text + " ";
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = linkText;
      news.appendChild(a);
    }
    news.hidden = false;
  }

  function rowFor(data) {
    var row = document.createElement("tr");
    row.setAttribute("data-story", data.story_id);
    var cell = document.createElement("td");
    var a = document.createElement("a");
    a.className = "title";
    a.href = storyLink(data.story_id);
    cell.appendChild(a);
    var meta = document.createElement("div");
    meta.className = "muted";
    var sid = document.createElement("span");
    sid.className = "sid";
    sid.textContent = data.story_id;
    var version = document.createElement("span");
    version.className = "version";
    meta.appendChild(sid);
    meta.appendChild(document.createTextNode(" · v"));
    meta.appendChild(version);
    cell.appendChild(meta);
    row.appendChild(cell);
    var count = document.createElement("td");
    count.className = "num";
    count.textContent = "·";
    row.appendChild(count);
    var outlets = document.createElement("td");
    outlets.className = "outlets";
    row.appendChild(outlets);
    var updated = document.createElement("td");
    updated.className = "updated";
    row.appendChild(updated);
    return row;
  }

  function fill(row, data) {
    row.setAttribute("data-version", String(data.version));
    row.querySelector("a.title").textContent = data.title || data.story_id;
    row.querySelector(".version").textContent = String(data.version);
    var outlets = row.querySelector(".outlets");
    outlets.textContent = "";
    (data.outlets || []).forEach(function (o) { outlets.appendChild(tag(o)); });
    row.querySelector(".updated").textContent = when(data.at);
    row.classList.remove("fresh");
    void row.offsetWidth; // restart the highlight
    row.classList.add("fresh");
  }

  function onList(type, data) {
    var tbody = document.querySelector("#stories tbody");
    if (!tbody) { return; }
    var row = tbody.querySelector('tr[data-story="' + CSS.escape(data.story_id) + '"]');
    if (type === "story.merged" && row) {
      // the merged-away id now redirects: its row goes, the survivor's event updates it
      row.parentNode.removeChild(row);
      return;
    }
    if (body.getAttribute("data-filtered") === "yes" && !row) {
      notice("Stories changed since this search ran.", window.location.href, "Run it again");
      return;
    }
    if (!row) {
      row = rowFor(data);
      var empty = tbody.querySelector("tr.empty");
      if (empty) { empty.parentNode.removeChild(empty); }
    }
    fill(row, data);
    tbody.insertBefore(row, tbody.firstChild); // newest-updated first
  }

  function onStory(type, data) {
    var mine = body.getAttribute("data-story");
    var version = parseInt(body.getAttribute("data-version"), 10);
    if (data.story_id !== mine || !(data.version > version)) { return; }
    var href = storyLink(mine) + "?since_version=" + encodeURIComponent(String(version));
    notice("This story changed (version " + data.version + ", " + type + ").", href,
      "Show what's new since version " + version);
  }

  function handle(type, event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (!data || typeof data.story_id !== "string") { return; }
    received += 1;
    body.setAttribute("data-live-events", String(received));
    if (page === "list") { onList(type, data); } else if (page === "story") { onStory(type, data); }
  }

  if (!window.EventSource || (page !== "list" && page !== "story")) {
    say(window.EventSource ? "" : "live updates: not supported by this browser");
    return;
  }
  var query = body.getAttribute("data-events") || "";
  var source = new EventSource("/events" + (query ? "?" + query : ""));
  source.onopen = function () { say("live updates: on"); body.setAttribute("data-live", "on"); };
  source.onerror = function () {
    say("live updates: reconnecting…");
    body.setAttribute("data-live", "off");
  };
  TYPES.forEach(function (type) {
    source.addEventListener(type, function (event) { handle(type, event); });
  });
})();

// Live sync status on the org admin pages (templates/manage/_sync_status.html).
// Polls the status endpoint named by data-status-url while a sync is queued or running, at a
// retry's time and once a minute while a queued sync has not started (those two while the tab
// is shown; either, after a look that lost contact, once a minute), and once more when the tab
// is shown again; sends "Refresh now" with fetch so the page updates in place. Without
// JavaScript the Refresh form is an ordinary POST and the page shows the status as of its
// loading.
(function () {
  "use strict";

  var POLL_MS = 1500;
  // A sync queued long ago that has not started ("not_started"): the dispatcher queues it again
  // once the org is due, or it starts after all, at no time the status can name. Looked at this
  // often, and only while the tab is shown, the box catches up within a minute; left alone, it
  // went on saying "not started since" of a sync that had run and ended meanwhile.
  var NOT_STARTED_POLL_MS = 60000;
  // How long a request may go unanswered before it counts as lost contact, as a network error
  // does. The site's own answer comes in milliseconds, and none comes after 30 s: gunicorn's
  // worker timeout (its default, which the site keeps) ends the request by then. One still
  // waiting (a laptop woken from sleep, a proxy holding the connection) kept the page from ever
  // looking at the status again, and Refresh now busy.
  var REQUEST_TIMEOUT_MS = 30000;
  var ACTIVE_PHASES = ["queued", "running"];
  var LOST_CONTACT = "Lost contact with the site; reload the page to see the status.";
  var NOT_SENT = "The refresh could not be sent. Reload the page and try again.";
  // Given up after REQUEST_TIMEOUT_MS, Refresh now may have reached the site, and a sync been
  // queued, all the same: the box looks at the status, which says so if one was.
  var NO_ANSWER =
    "No answer came in time: the sync may have been queued all the same, and the status below " +
    "will show it.";
  // Why the site refused, as its JSON names it in "error" (manage_views): only an answer naming
  // one of these is the site's own. A proxy's or gateway's JSON error names none, and its
  // message ("Bad gateway", an upstream's wording) is not for the admin.
  // All leave this page nothing to do for the org: the org was deleted, the user is no longer
  // its admin (demoted or removed meanwhile), or signed out (in another tab, or timed out).
  var SITE_ERRORS = ["organization_gone", "not_admin", "signed_out"];

  function isActive(phase) {
    return ACTIVE_PHASES.indexOf(phase) !== -1;
  }

  function hasEnded(phase) {
    return phase === "finished" || phase === "failed";
  }

  // Aborted after REQUEST_TIMEOUT_MS, the request's promise is rejected, whether its answer had
  // not begun or was still being read: an answer coming after that is never read or rendered.
  // Its error then says so (timedOut): the request may have reached the site, where one that
  // failed to be sent did not.
  function fetchJson(url, options) {
    var controller = new AbortController();
    var timedOut = false;
    var timer = setTimeout(function () {
      timedOut = true;
      controller.abort();
    }, REQUEST_TIMEOUT_MS);
    var request = Object.assign({ credentials: "same-origin", signal: controller.signal }, options);
    request.headers = Object.assign({ Accept: "application/json" }, request.headers);
    var answered = fetch(url, request).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // A web page (a proxy's, a refused form's): no words for the script. A session signed
      // out is told in JSON (SITE_ERRORS).
      if (type.indexOf("application/json") === -1) {
        throw new Error("unexpected answer " + response.status);
      }
      return response.json().then(function (answer) {
        if (!response.ok) {
          var refused = new Error("unexpected answer " + response.status);
          // The site's words for why, and where to go, when the answer is the site's.
          if (answer && SITE_ERRORS.indexOf(answer.error) !== -1) {
            refused.said = answer.message;
            refused.link = answer.link;
            refused.endsThePage = true;
            refused.signedOut = answer.error === "signed_out";
          }
          throw refused;
        }
        return answer;
      });
    });
    return answered
      .catch(function (error) {
        if (timedOut) {
          var late = new Error("no answer in " + REQUEST_TIMEOUT_MS + " ms");
          late.timedOut = true;
          throw late;
        }
        throw error;
      })
      .finally(function () {
        clearTimeout(timer);
      });
  }

  // The id of the status's latest run, as the box's data-latest-run holds it.
  function latestRunOf(status) {
    return status.latest_run ? String(status.latest_run.id) : "";
  }

  // Two answers can be on their way to a box at once (a look at the status, and Refresh now
  // pressed meanwhile) and come in either order: the older, read before what the newer one
  // says, put back the status that one had replaced. Each request is numbered as it is sent,
  // and an answer is rendered only if none to a request sent after it was; the box's
  // data-answer is the number of the answer it shows (0: the page as served).
  function numberRequest(box) {
    box.requestsSent = (box.requestsSent || 0) + 1;
    return box.requestsSent;
  }

  // Whether the box stopped (sayRefused) after request `number` was sent: its answer, read
  // before, is not shown, nor its failure.
  function stoppedSince(box, number) {
    return box.endedForGood || number <= (box.stoppedAt || 0);
  }

  // Whether the answer to a request sent after request `number` was rendered.
  function overtaken(box, number) {
    return number < Number(box.dataset.answer || 0);
  }

  // Renders the answer to request `number` unless a later one was rendered; says whether.
  function renderIfLatest(box, status, number) {
    if (overtaken(box, number)) {
      return false;
    }
    box.dataset.answer = String(number);
    render(box, status);
    return true;
  }

  // The server writes every word; this only puts them in their places.
  function render(box, status) {
    var wasActive = isActive(box.dataset.phase);
    box.dataset.phase = status.phase;
    // A sync the page never saw under way (a retry run between two looks at it) is one more
    // that ended since the page was read, as one it followed is.
    var latestRun = latestRunOf(status);
    var newRun = latestRun !== "" && latestRun !== box.dataset.latestRun;
    box.dataset.latestRun = latestRun;
    // Whether a retry is coming, for a look that loses contact (lookAgainAfterLostContact).
    box.awaitsRetry = typeof status.retry_in_seconds === "number";
    // Disconnected meanwhile (in another tab, or by another admin): the board, its state and
    // Refresh now are gone; the phase line below says so. Connected again, perhaps to another
    // board: they are back, with that board's name and token among the fields below.
    // Refresh now's words spoke of the connection as it was ("Sync queued", "Connect a
    // Greenhouse board first."): no longer true. Shown first: the focus the words' link had
    // (signed in again elsewhere) goes to Refresh now back (say).
    var connectionSaid = connectionChanged(box, status);
    showConnection(box, status.connected);
    if (connectionSaid) {
      say(box, "", "");
    }
    // Paused or resumed meanwhile: Refresh now is offered only while syncing is on, the way to
    // resume only while it is paused. Whichever had the focus goes (Refresh now pressed as it
    // was paused elsewhere, say); the focus goes to the other, not to the top of the page.
    if ("enabled" in status) {
      var focused = document.activeElement;
      var going = status.enabled ? "[data-paused-only]" : "[data-enabled-only]";
      var lostFocus = focused && focused.closest(going);
      box.querySelectorAll("[data-enabled-only]").forEach(function (element) {
        element.hidden = !status.enabled;
      });
      box.querySelectorAll("[data-paused-only]").forEach(function (element) {
        element.hidden = status.enabled;
      });
      if (lostFocus) {
        box.querySelector(status.enabled ? "[data-enabled-only] button" : "[data-paused-only] a")
          .focus();
      }
    }
    box.querySelectorAll("[data-field]").forEach(function (element) {
      var name = element.dataset.field;
      var text = status[name] || element.dataset.empty || "";
      // Words written again, even the same ones, are read out again from the live region.
      if (name in status && element.textContent !== text) {
        element.textContent = text;
      }
    });
    var badge = box.querySelector("[data-state-badge]");
    if (badge && status.state) {
      badge.className = "badge " + status.state;
    }
    // The jobs list is out of date once a sync changed jobs; the history, once any sync ended.
    var hint = box.querySelector("[data-reload-hint]");
    var ended = hasEnded(status.phase);
    var changed =
      status.phase === "finished" && status.latest_run && status.latest_run.changed_jobs;
    if (hint && (wasActive || newRun) && (hint.dataset.reloadHint === "runs" ? ended : changed)) {
      hint.hidden = false;
    }
    // Refresh now's answer ("A sync is running right now") is out of date once that sync
    // ended, and "try again in a moment" once a sync it did not start did (a retry followed
    // since): the phase line below says how it went.
    if ((wasActive || newRun) && ended) {
      say(box, "", "");
    }
    // A status read is contact found again: "Lost contact" (a look that failed before) is no
    // longer true, nor "You are signed out" (signed in again since, in another tab). Any other
    // words stay (Refresh now's answer, which the status does not say).
    var feedback = box.querySelector("[data-refresh-feedback]");
    if (box.signedOut || (feedback && feedback.textContent === LOST_CONTACT)) {
      box.signedOut = false;
      say(box, "", "");
    }
  }

  // Whether `status` says the org is connected where the box shows it is not, or the reverse.
  function connectionChanged(box, status) {
    var connection = box.querySelector("[data-connected-only]");
    return Boolean(connection) && connection.hidden === status.connected;
  }

  // The board, its state and Refresh now, shown or hidden. Should what goes have the focus
  // (Refresh now, pressed as the org was disconnected or deleted), it goes to the words that
  // say why, not to the top of the page.
  function showConnection(box, connected) {
    var focused = document.activeElement;
    var lostFocus = !connected && focused && focused.closest("[data-connected-only]");
    box.querySelectorAll("[data-connected-only]").forEach(function (element) {
      element.hidden = !connected;
    });
    if (lostFocus) {
      box.querySelector("[data-sync-progress]").focus();
    }
  }

  // `link`, when given, is {url, text}: a link put after the words. Should the link the words
  // had have the focus ("Sign in again", the words gone once signed in again elsewhere), it
  // goes to Refresh now if shown, else to the words, not to the top of the page.
  function say(box, level, text, link) {
    var feedback = box.querySelector("[data-refresh-feedback]");
    if (feedback) {
      var lostFocus = feedback.contains(document.activeElement);
      feedback.className = "refresh-feedback " + level;
      feedback.textContent = text;
      if (link) {
        var anchor = document.createElement("a");
        anchor.href = link.url;
        anchor.textContent = link.text;
        feedback.append(" ", anchor);
      }
      if (lostFocus) {
        var button = box.querySelector("[data-refresh] button");
        var shown = button && !button.closest("[hidden]");
        (shown ? button : box.querySelector("[data-sync-progress]")).focus();
      }
    }
  }

  // The site's answer to a request that failed: its words if it has them. An org deleted
  // meanwhile takes its board, its state and Refresh now with it, as a disconnect does; so
  // does an admin's role lost meanwhile, as they may no longer refresh it. Both are for good:
  // the box looks no more, and no answer still on its way (read before) is shown, nor its
  // failure. Said again, or over, the words would be read out again, or lost, and the link in
  // them, made anew, would lose the keyboard focus. Signed out, the same until the tab is shown
  // again: it looks once more then (signed in again in another tab, the box is back as the
  // status says), saying nothing new if still signed out.
  function sayRefused(box, error, fallback) {
    say(box, "error", error.said || fallback, error.link);
    box.signedOut = Boolean(error.signedOut);
    if (error.endsThePage) {
      showConnection(box, false);
      box.endedForGood = !error.signedOut;
      box.stoppedAt = box.requestsSent;
      clearTimeout(box.pollTimer);
      box.pollTimer = null;
      clearTimeout(box.laterTimer);
      box.laterTimer = null;
    }
  }

  // Nothing under way: a failed sync the task retries later is looked at again once the retry
  // is due (and, while it is late, every POLL_MS for a while: the site says until when), to
  // follow it as the first; a queued sync that has not started, every NOT_STARTED_POLL_MS.
  // Either only while the tab is shown: hidden, the tab shown again looks at once, and this
  // goes on from there. The retry's look was made hidden too, and every POLL_MS while it was
  // late, for a page nobody saw.
  // A timer of its own: held as the poll's, it kept Refresh now and the tab shown again from
  // following a sync until the retry's time, minutes later.
  // Each status says whether one is coming, and when: the last one read sets the one timer, so
  // a page that already waited for a retry does not look twice.
  function lookAgainLater(box, status) {
    var seconds = status.retry_in_seconds;
    var retry = typeof seconds === "number";
    clearTimeout(box.laterTimer);
    box.laterTimer = null;
    if (!retry && status.phase !== "not_started") {
      return;
    }
    box.laterTimer = setTimeout(function () {
      box.laterTimer = null;
      if (document.visibilityState === "visible") {
        poll(box);
      }
    }, retry ? seconds * 1000 : NOT_STARTED_POLL_MS);
  }

  // Lost contact (a network error, no answer in time) may be for a moment: a box saying a sync
  // has not started, or waiting on a retry (its time come, or not), looks again a minute on,
  // and so each minute until a look reads the status, which then says when to look. It stopped
  // until the tab was shown again, and a page left in view said "not started since" of a sync,
  // or "Failed" of a retried one, that ran and ended meanwhile.
  function lookAgainAfterLostContact(box) {
    var retry = box.awaitsRetry ? NOT_STARTED_POLL_MS / 1000 : null;
    lookAgainLater(box, { phase: box.dataset.phase, retry_in_seconds: retry });
  }

  // One look at a time per box: box.pollTimer is set while one is due, box.asking while one
  // is on its way. (The request numbers only decide which answer is shown.)
  function poll(box) {
    if (box.endedForGood) {
      return;
    }
    clearTimeout(box.laterTimer); // looked at now, and again after as this look says
    box.laterTimer = null;
    if (box.asking) {
      // The answer on its way may have been read before what this look is for (a sync Refresh
      // now started, one the tab shown again is to learn of): it is looked at again after it.
      box.askedMeanwhile = true;
      return;
    }
    if (box.pollTimer) {
      return;
    }
    // Looks again POLL_MS on while the status shown says a sync is under way, or if asked to
    // while the last look was on its way.
    function lookAgainIfDue() {
      var again = isActive(box.dataset.phase) || box.askedMeanwhile;
      box.pollTimer = again ? setTimeout(tick, POLL_MS) : null;
    }
    // Signed out as this look was on its way, the tab shown again meanwhile looks after it.
    function lookIfAskedMeanwhile() {
      if (!box.endedForGood && box.askedMeanwhile) {
        box.pollTimer = setTimeout(tick, POLL_MS);
      }
    }
    function tick() {
      var number = numberRequest(box);
      box.pollTimer = null;
      box.asking = true;
      box.askedMeanwhile = false;
      fetchJson(box.dataset.statusUrl)
        .then(function (status) {
          box.asking = false;
          if (stoppedSince(box, number)) {
            lookIfAskedMeanwhile();
            return;
          }
          // Overtaken by Refresh now's answer, it leaves the page as that one set it.
          var latest = renderIfLatest(box, status, number);
          lookAgainIfDue();
          if (!box.pollTimer && latest) {
            lookAgainLater(box, status);
          }
        })
        .catch(function (error) {
          box.asking = false;
          if (stoppedSince(box, number)) {
            lookIfAskedMeanwhile();
            return;
          }
          if (box.signedOut && error.signedOut) {
            return; // as the box says: written again, the words would be read out again
          }
          // Overtaken by Refresh now's answer, a look that failed says nothing of the site as
          // that answer found it (a sync running, say): the page goes on as it set it. An org
          // deleted, or the user's role lost, is said whichever answer came first.
          if (overtaken(box, number) && !error.endsThePage) {
            lookAgainIfDue();
            return;
          }
          sayRefused(box, error, LOST_CONTACT);
          if (!error.endsThePage) {
            lookAgainAfterLostContact(box);
          }
        });
    }
    box.pollTimer = setTimeout(tick, POLL_MS);
  }

  function refresh(event) {
    var form = event.currentTarget;
    var box = form.closest("[data-status-url]");
    var button = form.querySelector("button");
    event.preventDefault();
    // Busy, not disabled: a disabled button would drop the keyboard focus to the page.
    if (button.getAttribute("aria-disabled") === "true") {
      return;
    }
    button.setAttribute("aria-disabled", "true");
    say(box, "info", "Asking for a sync…");
    var number = numberRequest(box);
    // With the CSRF token Django expects now, which csrf-token-now.js put in the form as it
    // was submitted: the one the page was served with is refused once its admin signed in again.
    fetchJson(form.action, { method: "POST", body: new FormData(form) })
      .then(function (answer) {
        if (stoppedSince(box, number)) {
          return;
        }
        // Rendered first: a sync that ended meanwhile must not clear this answer.
        var latest = renderIfLatest(box, answer.status, number);
        // Overtaken by a look that saw a sync end since it was read, its words are out of
        // date, as render() finds them when answers come in order: the sync they speak of
        // ended (the run it saw under way, whose id the look's ended run has), or one they did
        // not know of did. The phase line says how that sync went. So they are once the org
        // was disconnected, or connected again, since.
        var ended =
          hasEnded(box.dataset.phase) &&
          (isActive(answer.status.phase) || latestRunOf(answer.status) !== box.dataset.latestRun);
        var outdated = !latest && (ended || connectionChanged(box, answer.status));
        if (outdated) {
          say(box, "", "");
        } else {
          say(box, answer.level, answer.message);
        }
        if (isActive(answer.status.phase) || box.asking) {
          // Looked at again even if overtaken: a server answering two requests at once may
          // have read the later one first, and the next look says which was right. A look on
          // its way may have been read before this answer, whatever it says (a sync running,
          // or syncing paused since): the status is looked at again after it.
          poll(box);
        } else if (latest) {
          // Nothing runs (asked seconds ago, say), but a retry the task made of a failure since
          // the page loaded may come: followed as one the page saw made.
          lookAgainLater(box, answer.status);
        }
      })
      .catch(function (error) {
        if (stoppedSince(box, number)) {
          return;
        }
        sayRefused(box, error, error.timedOut ? NO_ANSWER : NOT_SENT);
        if (error.timedOut) {
          poll(box);
        }
      })
      .finally(function () {
        button.removeAttribute("aria-disabled");
      });
  }

  var boxes = document.querySelectorAll("[data-status-url]");
  boxes.forEach(function (box) {
    var form = box.querySelector("form[data-refresh]");
    if (form) {
      form.addEventListener("submit", refresh);
    }
    box.awaitsRetry = "retryPending" in box.dataset;
    if (isActive(box.dataset.phase) || box.awaitsRetry) {
      poll(box);
    } else {
      lookAgainLater(box, { phase: box.dataset.phase }); // a queued sync not started
    }
  });

  // Polling stops once no sync is under way, so a page left in a tab learns nothing of what
  // was done in another (a disconnect, a board connected again, a sync asked for): it asks
  // when it is shown again. A page loaded disconnected has no connection to keep up to date.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      boxes.forEach(function (box) {
        if (box.querySelector("[data-connected-only]")) {
          poll(box);
        }
      });
    }
  });
})();

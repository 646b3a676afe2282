// Save a draft as you go: every 20 seconds after a change, the edit form is posted (without its
// files) to the edit URL with the header X-Autosave: 1. The server answers 204 with the time it
// saved ("X-Autosave-Status"), or 422 with the field errors (nothing saved). Progressive
// enhancement only: the Save button works without it. No inline script (strict CSP).
"use strict";
(() => {
  const INTERVAL_MS = 20000;
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form[data-autosave-url]");
    if (!form) return;
    const status = document.getElementById("autosave-status");
    let changed = false;
    let busy = false;
    const say = (text, isError) => {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("error", Boolean(isError));
    };
    form.addEventListener("input", () => { changed = true; });
    form.addEventListener("change", () => { changed = true; });
    // A real submit replaces autosaving.
    form.addEventListener("submit", () => { changed = false; busy = true; });
    const save = async () => {
      if (!changed || busy) return;
      busy = true;
      changed = false;
      const data = new FormData(form);
      data.delete("files");
      const token = form.querySelector("input[name=csrfmiddlewaretoken]");
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-Autosave": "1", "X-CSRFToken": token ? token.value : "" },
        });
        if (response.status === 204) {
          say(response.headers.get("X-Autosave-Status") || "Saved.", false);
        } else {
          let message = "Not saved.";
          try {
            const body = await response.json();
            const fields = Object.entries(body.errors || {}).map(([name, errors]) => `${name}: ${errors.join(" ")}`);
            message = [body.message, ...fields].filter(Boolean).join(" ");
          } catch (_error) {
            message = `Not saved (error ${response.status}).`;
          }
          say(message, true);
          changed = true;
        }
      } catch (_error) {
        say("Not saved: the connection failed. Your text is still here; try again or use Save.", true);
        changed = true;
      } finally {
        busy = false;
      }
    };
    window.setInterval(save, INTERVAL_MS);
  });
})();

// Progressive enhancement only; every page works without it. No inline script (strict CSP).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Buttons and links with data-confirm ask before a destructive action.
  document.body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // htmx sends the CSRF token taken from the cookie-less hidden input on the page.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) event.detail.headers["X-CSRFToken"] = token.value;
  });
});

/* Page behaviour without inline script (Content-Security-Policy: script-src 'self').
 *   data-confirm="…"      on a form (submit) or a button (click): ask first, stop unless confirmed
 *   data-autosubmit       on a select: submit its form when it changes
 *   data-reload-param="x" on a select: reload the page with ?x=<value>
 */
(() => {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-confirm], a[data-confirm]") : null;
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLSelectElement)) return;
    if (field.dataset.reloadParam) {
      window.location.search = "?" + new URLSearchParams({[field.dataset.reloadParam]: field.value});
    } else if ("autosubmit" in field.dataset && field.form) {
      field.form.submit();
    }
  });
})();

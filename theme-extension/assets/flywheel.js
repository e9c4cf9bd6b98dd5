/* Flywheel storefront widgets. One small deferred file, no framework, and no
   request anywhere but the shop's own app proxy (/apps/flywheel/...), whose
   answers arrive already in the shopper's language. Liquid has rendered every
   widget with its space reserved and a text to show without script; this only
   fills them in. Every text from the server goes in through textContent. */
(() => {
  'use strict';

  const BASE = '/apps/flywheel/';
  const requests = new Map();
  const $ = (root, selector) => root.querySelector(selector);

  // GET an app proxy path once per page: the banner and the launcher share it.
  function get(path) {
    if (typeof path !== 'string' || !path.startsWith(BASE)) {
      return Promise.reject(new Error('not an app proxy path'));
    }
    if (!requests.has(path)) {
      const request = fetch(path, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      }).then((response) => {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      });
      request.catch(() => requests.delete(path));
      requests.set(path, request);
    }
    return requests.get(path);
  }

  // Show an element with a text, or hide it when there is none.
  function put(el, text) {
    if (!el) return;
    const shown = typeof text === 'string' && text !== '';
    el.textContent = shown ? text : '';
    el.hidden = !shown;
  }

  function whenNear(el, run) {
    if (!('IntersectionObserver' in window)) return run();
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          run();
        }
      },
      { rootMargin: '300px' },
    );
    observer.observe(el);
  }

  /* Delivery estimate (product and cart) */

  function delivery(el) {
    const text = $(el, '[data-fw-text]');
    const cutoff = $(el, '[data-fw-cutoff]');
    el.fwLoad = () => {
      const src = el.dataset.fwSrc;
      const current = () => src === el.dataset.fwSrc; // a later variant's answer wins
      el.setAttribute('aria-busy', 'true');
      get(src)
        .then((data) => {
          if (!data || typeof data.text !== 'string' || !data.text) throw new Error('no estimate');
          if (!current()) return;
          text.textContent = data.text;
          put(cutoff, data.cutoff_text);
        })
        .catch(() => {
          if (!current()) return;
          text.textContent = el.dataset.fwFallback || '';
          put(cutoff, '');
        })
        .finally(() => current() && el.removeAttribute('aria-busy'));
    };
    el.fwLoad();
  }

  // When the shopper picks another variant, ask again for that variant. Themes
  // update the form's `id` field in their own change handlers, so read it after.
  document.addEventListener('change', (event) => {
    const form = event.target.closest && event.target.closest('form[action*="/cart/add"]');
    if (!form) return;
    setTimeout(() => {
      const field = form.elements.namedItem('id');
      const variant = field && field.value;
      if (!variant || !/^\d+$/.test(variant)) return;
      document.querySelectorAll('[data-flywheel="delivery"][data-fw-variant]').forEach((el) => {
        if (el.dataset.fwVariant === variant || !el.fwLoad) return;
        const url = new URL(el.dataset.fwSrc, location.origin);
        url.searchParams.set('variant_id', variant);
        el.dataset.fwSrc = url.pathname + url.search;
        el.dataset.fwVariant = variant;
        el.fwLoad();
      });
    });
  });

  /* Loyalty summary (banner and launcher panel) */

  function slot(root, name) {
    return $(root, '[data-fw-slot="' + name + '"]');
  }

  function putValue(root, name, text) {
    const el = slot(root, name);
    if (!el) return;
    put($(el, '[data-fw-value]') || el, text);
    el.hidden = !(typeof text === 'string' && text);
  }

  function fillLoyalty(root, data) {
    if (data.enabled === false) {
      const box = root.closest('.fw-loyalty');
      if (box) box.hidden = true;
      return;
    }
    const headline = slot(root, 'headline');
    const earn = slot(root, 'earn');
    if (data.logged_in && typeof data.balance_text === 'string') {
      headline.textContent = data.balance_text;
      putValue(root, 'tier', data.tier_name);
      putValue(root, 'progress', data.progress_text);
      earn.hidden = true;
      referral(root, data);
      return;
    }
    const pitch = data.pitch || {};
    if (typeof pitch.headline === 'string' && pitch.headline) headline.textContent = pitch.headline;
    earn.replaceChildren(
      ...(Array.isArray(pitch.earn) ? pitch.earn : [])
        .filter((line) => typeof line === 'string' && line)
        .map((line) => {
          const item = document.createElement('li');
          item.textContent = line;
          return item;
        }),
    );
    earn.hidden = !earn.children.length;
  }

  function referral(root, data) {
    const box = slot(root, 'referral');
    const url = data.referral_url;
    if (!box || typeof url !== 'string' || !/^https?:\/\//.test(url)) return;
    put($(box, '[data-fw-value]'), data.referral_text);
    const link = $(box, '[data-fw-link]');
    link.href = url;
    link.textContent = url;
    const copy = $(box, '[data-fw-copy]');
    const status = $(box, '[data-fw-status]');
    if (copy && navigator.clipboard) {
      copy.hidden = false;
      copy.onclick = () =>
        navigator.clipboard.writeText(url).then(() => {
          status.textContent = status.dataset.fwCopied || '';
        });
    }
    box.hidden = false;
  }

  function loadLoyalty(root) {
    if (root.fwLoaded) return;
    root.fwLoaded = true;
    root.setAttribute('aria-busy', 'true');
    get(root.dataset.fwSrc)
      .then((data) => data && fillLoyalty(root, data))
      .catch(() => {
        root.fwLoaded = false; // keep the pitch Liquid rendered; try again next time
      })
      .finally(() => root.removeAttribute('aria-busy'));
  }

  /* Launcher (app embed): a button and a non-modal panel */

  function launcher(root) {
    const button = $(root, '[data-fw-toggle]');
    const panel = $(root, '[data-fw-panel]');
    const body = $(panel, '[data-fw-src]');
    const close = (refocus) => {
      if (panel.hidden) return;
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      if (refocus) button.focus();
    };
    const open = () => {
      panel.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      panel.focus();
      loadLoyalty(body);
    };
    button.addEventListener('click', () => (panel.hidden ? open() : close(true)));
    $(panel, '[data-fw-close]').addEventListener('click', () => close(true));
    root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !panel.hidden) {
        event.stopPropagation();
        close(true);
      }
    });
    // Non-modal: a click or the focus going elsewhere closes it too.
    document.addEventListener('click', (event) => {
      if (!root.contains(event.target)) close(false);
    });
    root.addEventListener('focusout', (event) => {
      if (event.relatedTarget && !root.contains(event.relatedTarget)) close(false);
    });
    root.hidden = false;
  }

  /* Start every widget on the page, and those the theme editor adds later. */

  const widgets = {
    delivery,
    loyalty: (el) => whenNear(el, () => loadLoyalty(el)),
    launcher,
  };

  function start(scope) {
    scope.querySelectorAll('[data-flywheel]').forEach((el) => {
      const widget = widgets[el.dataset.flywheel];
      if (!widget || el.fwStarted) return;
      el.fwStarted = true;
      widget(el);
    });
  }

  start(document);
  document.addEventListener('shopify:section:load', (event) => start(event.target));
})();

/* Flywheel product reviews. Liquid has rendered the summary, the photos, the
   first page and the form from the app's metafield, so the block is whole
   without script; this localizes the dates, sorts, loads more pages, counts
   "helpful" votes and sends the form in place. Deferred, no framework, no
   request anywhere but the app proxy (/apps/flywheel/...), every text from the
   server in through textContent. Kept apart from flywheel.js so pages without
   reviews never load it. */
(() => {
  'use strict';

  const BASE = '/apps/flywheel/';
  const VOTED = 'fw-helpful';
  const $ = (root, selector) => root.querySelector(selector);
  const isUrl = (url) => typeof url === 'string' && /^(https?:)?\//.test(url);

  function request(path, options) {
    return fetch(BASE + path, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      ...options,
    });
  }

  function json(response) {
    if (!response.ok) throw new Error('HTTP ' + response.status);
    return response.json();
  }

  // Show an element with a text, or hide it when there is none.
  function put(el, text) {
    const shown = typeof text === 'string' && text !== '';
    el.textContent = shown ? text : '';
    el.hidden = !shown;
  }

  function voted() {
    try {
      return JSON.parse(localStorage.getItem(VOTED)) || [];
    } catch (error) {
      return [];
    }
  }

  function photo(p, alt) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    const img = document.createElement('img');
    link.href = p.display;
    img.src = p.thumb;
    img.alt = alt;
    img.width = img.height = 72;
    img.loading = 'lazy';
    link.append(img);
    item.append(link);
    return item;
  }

  // One review from the block's <template>, filled in.
  function review(root, r) {
    const li = $(root, 'template[data-fw-template]').content.firstElementChild.cloneNode(true);
    const part = (name) => $(li, '[data-fw-' + name + ']');
    const data = root.dataset;
    li.dataset.fwReview = r.id;
    const stars = part('stars');
    stars.style.setProperty('--fw-r', Number(r.rating) || 0);
    stars.setAttribute('aria-label', (data.fwRated || '').replace('{r}', r.rating));
    put(part('title'), r.title);
    part('body').textContent = r.body || '';
    part('author').textContent = r.author || data.fwAnonymous || '';
    part('verified').hidden = !r.verified;
    const date = part('date');
    date.dateTime = date.textContent = r.date || '';
    const reply = part('reply');
    put($(reply, '[data-fw-value]'), r.reply);
    reply.hidden = !r.reply;
    part('helpful').dataset.fwHelpful = r.id;
    part('n').textContent = Number(r.helpful) || 0;
    const photos = part('photos');
    photos.replaceChildren(
      ...(Array.isArray(r.photos) ? r.photos : [])
        .filter((p) => p && isUrl(p.thumb) && isUrl(p.display))
        .map((p, i) => photo(p, (data.fwPhotoAlt || '').replace('{n}', i + 1))),
    );
    photos.hidden = !photos.children.length;
    return li;
  }

  // Dates in the shopper's language, and the votes they already cast.
  function settle(root, scope) {
    try {
      const format = new Intl.DateTimeFormat(root.fwLang, { dateStyle: 'medium', timeZone: 'UTC' });
      scope.querySelectorAll('time[data-fw-date]').forEach((el) => {
        const date = new Date(el.dateTime);
        if (el.dateTime && !isNaN(date)) el.textContent = format.format(date);
      });
    } catch (error) {
      // an unknown language tag: the ISO dates stay
    }
    const ids = voted();
    scope.querySelectorAll('[data-fw-helpful]').forEach((button) => {
      if (ids.includes(button.dataset.fwHelpful)) button.disabled = true;
    });
  }

  function vote(root, button) {
    const id = button.dataset.fwHelpful;
    button.disabled = true;
    request('reviews/' + encodeURIComponent(id) + '/helpful?locale=' + encodeURIComponent(root.fwLang), {
      method: 'POST',
    })
      .then(json)
      .then((data) => {
        if (typeof data.helpful === 'number') $(button, '[data-fw-n]').textContent = data.helpful;
        try {
          localStorage.setItem(VOTED, JSON.stringify(voted().concat(id).slice(-200)));
        } catch (error) {
          // private browsing: the vote counts, it is just not remembered
        }
      })
      .catch(() => {
        button.disabled = false;
      });
  }

  // A page of reviews in the chosen order: page 1 replaces the list, later
  // pages add what is not shown yet. Only the latest request counts.
  function load(root, page) {
    const list = $(root, '[data-fw-list]');
    const more = $(root, '[data-fw-more]');
    const sort = $(root, '[data-fw-sort]');
    const ticket = (root.fwTicket = (root.fwTicket || 0) + 1);
    const query = new URLSearchParams({
      product_id: root.dataset.fwProduct,
      sort: sort ? sort.value : 'newest',
      page,
      locale: root.fwLang,
    });
    list.setAttribute('aria-busy', 'true');
    request('reviews?' + query)
      .then(json)
      .then((data) => {
        if (ticket !== root.fwTicket) return;
        if (page === 1) list.replaceChildren();
        const shown = new Set([...list.children].map((li) => li.dataset.fwReview));
        list.append(
          ...(Array.isArray(data.reviews) ? data.reviews : [])
            .filter((r) => r && !shown.has(String(r.id)))
            .map((r) => review(root, r)),
        );
        settle(root, list);
        root.fwPage = Number(data.page) || page;
        more.hidden = !(root.fwPage < Number(data.pages));
      })
      .catch(() => {
        // what is shown stays, and the controls can try again
      })
      .finally(() => ticket === root.fwTicket && list.removeAttribute('aria-busy'));
  }

  function form(root, el) {
    const data = el.dataset;
    const status = $(el, '[data-fw-status]');
    const submit = $(el, '[type="submit"]');
    const say = (text) => {
      status.textContent = text || '';
    };
    // What is wrong with the chosen photos, before anything is sent.
    const photoProblem = () => {
      const field = el.elements.namedItem('photos');
      const files = field && field.files ? [...field.files] : [];
      if (files.length > Number(data.fwMaxPhotos)) return data.fwTooMany;
      if (files.some((file) => file.size > Number(data.fwMaxBytes))) return data.fwTooBig;
      return '';
    };
    el.addEventListener('change', (event) => {
      if (event.target.name === 'photos') say(photoProblem());
    });
    el.addEventListener('submit', (event) => {
      event.preventDefault();
      const problem = photoProblem();
      if (problem) return say(problem);
      const body = new FormData(el);
      const token = new URLSearchParams(location.search).get('review_token');
      if (token) body.set('token', token);
      submit.disabled = true;
      say(data.fwSending);
      // Errors answer with a message in the shopper's language too.
      request('reviews?locale=' + encodeURIComponent(root.fwLang), { method: 'POST', body })
        .then((response) =>
          response.json().then((answer) => {
            say(typeof answer.message === 'string' && answer.message ? answer.message : data.fwError);
            if (response.ok) el.reset();
          }),
        )
        .catch(() => say(data.fwError))
        .finally(() => {
          submit.disabled = false;
        });
    });
  }

  function reviews(root) {
    root.fwLang = root.dataset.fwLocale || document.documentElement.lang || 'en';
    root.fwPage = Number(root.dataset.fwPage) || 0;
    settle(root, root);
    const sort = $(root, '[data-fw-sort]');
    if (sort) sort.addEventListener('change', () => load(root, 1));
    root.addEventListener('click', (event) => {
      const target = event.target.closest('[data-fw-helpful], [data-fw-more]');
      if (!target || target.disabled) return;
      if (target.hasAttribute('data-fw-more')) load(root, root.fwPage + 1);
      else vote(root, target);
    });
    const el = $(root, 'form[data-fw-form]');
    if (el) form(root, el);
  }

  // Every reviews block on the page, and those the theme editor adds later.
  function start(scope) {
    scope.querySelectorAll('[data-fw-reviews]').forEach((root) => {
      if (root.fwStarted) return;
      root.fwStarted = true;
      reviews(root);
    });
  }

  start(document);
  document.addEventListener('shopify:section:load', (event) => start(event.target));
})();

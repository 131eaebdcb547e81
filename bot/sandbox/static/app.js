// The sandbox page: renders the emulator's snapshot (pushed over server-sent events) and acts as people.
'use strict';

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);

  // Every piece of text reaches the page as a text node: nothing the bot or a person wrote is parsed as HTML.
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) el.append(child);
    }
    return el;
  }

  const ui = {
    state: null,
    partner: null,
    engineer: null,
    topic: null, // thread id of the open topic; null is the group's general chat
    topicChosen: false,
    seen: {}, // chat key -> newest message id the person has looked at
    pane: 'partner', // on a narrow screen only one pane shows: 'partner' or 'group'
    paneSeen: { partner: null, group: null, mail: null }, // pane -> how many messages it held when last in view
    mail: null, // the number of the HelpDesk mail being answered
  };
  const narrow = window.matchMedia('(max-width: 900px)');

  // --- talking to the sandbox -------------------------------------------------------------------

  async function api(path, body) {
    const options = { method: 'POST', headers: { 'X-Sandbox': '1' } };
    if (body instanceof FormData) {
      options.body = body;
    } else {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      toast('Нет связи с песочницей', 'error');
      return null;
    }
    let data = {};
    try { data = await response.json(); } catch (error) { /* an empty or non-JSON answer */ }
    if (!response.ok) {
      toast(data.error || `Ошибка ${response.status}`, 'error');
      return null;
    }
    return data;
  }

  function toast(text, kind = 'info', seconds = 4) {
    const el = h('div', { class: `toast ${kind}`, role: 'status', text });
    el.addEventListener('click', () => el.remove());
    $('#toasts').append(el);
    setTimeout(() => el.remove(), seconds * 1000);
  }

  // --- rich text from text + entities (offsets are UTF-16 units, as JavaScript strings count) -----

  const SAFE_LINK = /^(https?:|tg:|mailto:|tel:)/i;

  function link(url) {
    const a = h('a');
    if (SAFE_LINK.test(url)) {
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
    return a;
  }

  function entityElement(entity, piece, onCommand) {
    switch (entity.type) {
      case 'bold': return h('b');
      case 'italic': return h('i');
      case 'underline': return h('u');
      case 'strikethrough': return h('s');
      case 'code': return h('code');
      case 'pre': return h('pre', { class: entity.language ? `lang-${entity.language}` : undefined });
      case 'blockquote':
      case 'expandable_blockquote': return h('blockquote');
      case 'spoiler': {
        const el = h('span', { class: 'spoiler', title: 'Показать' });
        el.addEventListener('click', () => el.classList.add('shown'));
        return el;
      }
      case 'text_link': return link(entity.url || '');
      case 'url': return link(/^[a-z][a-z0-9+.-]*:/i.test(piece) ? piece : `http://${piece}`);
      case 'email': return link(`mailto:${piece}`);
      case 'phone_number': return link(`tel:${piece}`);
      case 'bot_command': {
        if (!onCommand) return h('span', { class: 'cmd' });
        const el = h('span', { class: 'cmd clickable', title: 'Отправить команду' });
        el.addEventListener('click', () => onCommand(piece));
        return el;
      }
      case 'mention':
      case 'text_mention':
      case 'hashtag':
      case 'cashtag': return h('span', { class: 'mention' });
      default: return h('span');
    }
  }

  function richText(text, entities, onCommand) {
    const fragment = document.createDocumentFragment();
    const list = (entities || [])
      .filter((e) => e.length > 0)
      .map((e) => ({ ...e, end: e.offset + e.length }))
      .sort((a, b) => a.offset - b.offset || b.end - a.end);
    let next = 0;
    // Nested entities become nested elements; a partial overlap is clipped to its parent.
    function build(parent, start, end) {
      let pos = start;
      while (next < list.length && list[next].offset < end) {
        const entity = list[next++];
        const from = Math.max(entity.offset, pos);
        const to = Math.min(entity.end, end);
        if (from >= to) continue;
        if (from > pos) parent.append(text.slice(pos, from));
        const el = entityElement(entity, text.slice(entity.offset, entity.end), onCommand);
        build(el, from, to);
        parent.append(el);
        pos = to;
      }
      if (pos < end) parent.append(text.slice(pos, end));
    }
    build(fragment, 0, text.length);
    return fragment;
  }

  if (document.body.dataset.page === 'texts') {
    showTexts();  // the /texts view: every text of the bot, nothing to act on
    return;
  }

  // --- messages ---------------------------------------------------------------------------------

  const FILE_ICONS = { document: '📄', video: '🎬', audio: '🎵', voice: '🎤', animation: '🎞', video_note: '📹' };

  function size(bytes) {
    if (!bytes && bytes !== 0) return '';
    if (bytes < 1024) return `${bytes} Б`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} КБ`;
    return `${(bytes / 1024 / 1024).toFixed(1)} МБ`;
  }

  function mediaElement(media) {
    const src = media.file_id ? `/api/file/${encodeURIComponent(media.file_id)}` : null;
    switch (media.type) {
      case 'photo':
        return h('a', { class: 'photo', href: src, target: '_blank', rel: 'noopener' },
          h('img', { src, alt: 'Фото', loading: 'lazy', width: media.width, height: media.height }));
      case 'sticker':
        return h('div', { class: 'sticker', text: media.emoji || '🖼' });
      case 'contact':
        return h('div', { class: 'card contact' }, h('b', { text: `👤 ${media.name}` }), h('div', { text: media.phone }));
      case 'location':
        return h('div', { class: 'card', text: `📍 ${media.lat}, ${media.lon}` });
      case 'poll':
        return h('div', { class: 'card' }, h('b', { text: `📊 ${media.question}` }),
          h('ul', {}, media.options.map((o) => h('li', { text: o }))));
      case 'dice':
        return h('div', { class: 'sticker', text: `${media.emoji} ${media.value}` });
      default: {
        const name = media.file_name || media.type;
        return h('a', { class: 'file', href: src, download: name },
          h('span', { class: 'file-icon', text: FILE_ICONS[media.type] || '📄' }),
          h('span', { class: 'file-name', text: name }),
          h('small', { text: size(media.size) }));
      }
    }
  }

  // Telegram shows an album as one bubble; the emulator keeps one message per item.
  function groupAlbums(messages) {
    const groups = [];
    for (const m of messages) {
      const last = groups[groups.length - 1];
      if (m.album && last && last.album === m.album && last.sender_id === m.sender_id) {
        last.items.push(m);
      } else {
        groups.push({ ...m, items: [m] });
      }
    }
    return groups;
  }

  class ChatPanel {
    constructor(prefix, options) {
      this.prefix = prefix;
      this.options = options; // me(), where(), commands(), messageIds for unread, keyboard
      this.list = $(`#${prefix}-messages`);
      this.extras = $(`#${prefix}-extras`);
      this.form = $(`#${prefix}-form`);
      this.input = $(`#${prefix}-input`);
      this.fileInput = $(`#${prefix}-file`);
      this.staged = [];
      this.asFiles = false;
      this.replyTo = null;
      this.menuOpen = false;
      this.signature = null;
      this.view = null;
      // Messages live in an inner stack so that its growth (new messages, pictures, late fonts) can be
      // watched: a reader at the bottom stays at the bottom, one reading history is left alone.
      this.stack = h('div', { class: 'stack' });
      this.list.append(this.stack);
      this.stuck = true;
      this.autoTop = null;
      this.list.addEventListener('scroll', () => {
        // Scroll events arrive a frame late; our own scroll must not count as the reader leaving the bottom.
        if (this.list.scrollTop === this.autoTop) return;
        this.stuck = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
      });
      const follow = () => { if (this.stuck) this.scrollToEnd(); };
      new ResizeObserver(follow).observe(this.stack);
      new ResizeObserver(follow).observe(this.list);

      $('.attach', this.form).addEventListener('click', () => this.fileInput.click());
      this.fileInput.addEventListener('change', () => {
        this.staged.push(...this.fileInput.files);
        this.fileInput.value = '';
        this.renderExtras();
      });
      $('.commands', this.form).addEventListener('click', () => {
        this.menuOpen = !this.menuOpen;
        this.renderExtras();
      });
      const contact = $('.share-contact', this.form);
      if (contact) contact.addEventListener('click', () => this.shareContact());
      const label = $('.label-sample', this.form);
      if (label) label.addEventListener('click', () => this.sendLabelSample());
      this.form.addEventListener('submit', (event) => {
        event.preventDefault();
        this.submit();
      });
      this.input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      });
      this.input.addEventListener('input', () => this.autosize());
    }

    autosize() {
      this.input.style.height = 'auto';
      this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
    }

    async submit() {
      if (this.sending) return;
      const text = this.input.value;
      const where = this.options.where();
      if (!where) return;
      const reply = this.replyTo ? this.replyTo.id : null;
      if (!this.staged.length && !text.trim()) return;
      // What was typed and attached stays until the sandbox has taken it: a refused send
      // (a closed topic, a file too big) shows its reason and loses nothing.
      this.sending = true;
      try {
        let taken;
        if (this.staged.length) {
          const form = new FormData();
          form.append('user', where.user);
          if (where.chat !== null) form.append('chat', where.chat);
          if (where.thread !== null && where.thread !== undefined) form.append('thread', where.thread);
          if (reply) form.append('reply_to', reply);
          form.append('caption', text);
          if (this.asFiles) form.append('as_file', '1');
          for (const file of this.staged) form.append('file', file, file.name);
          taken = await api('/api/upload', form);
          if (taken !== null) this.staged = [];
        } else {
          taken = await api('/api/send', { ...where, text, reply_to: reply });
        }
        if (taken !== null) this.clearInput();
      } finally {
        this.sending = false;
      }
    }

    clearInput() {
      this.input.value = '';
      this.replyTo = null;
      this.menuOpen = false;
      this.autosize();
      this.renderExtras();
      this.input.focus();
    }

    async sendText(text) {
      const where = this.options.where();
      if (where) await api('/api/send', { ...where, text });
    }

    async sendLabelSample() {
      const where = this.options.where();
      if (where) await api('/api/label-sample', where);
    }

    async shareContact() {
      const where = this.options.where();
      if (where) await api('/api/contact', where);
    }

    async press(message, button) {
      const where = this.options.where();
      if (!where) return;
      const result = await api('/api/press', { ...where, message: message.id, data: button.data });
      const answer = result && result.answer;
      if (answer && answer.text) toast(answer.text, answer.show_alert ? 'alert' : 'info', answer.show_alert ? 8 : 4);
    }

    renderExtras() {
      const parts = [];
      if (this.menuOpen) {
        const commands = this.options.commands();
        parts.push(h('div', { class: 'menu' },
          commands.length ? commands.map((c) => h('button', {
            type: 'button',
            class: 'menu-item',
            onclick: () => { this.menuOpen = false; this.renderExtras(); this.sendText(`/${c.command}`); },
          }, h('b', { text: `/${c.command}` }), ' ', h('span', { text: c.description })))
            : h('div', { class: 'menu-empty', text: 'Бот не задал команд для этого чата' })));
      }
      if (this.replyTo) {
        parts.push(h('div', { class: 'bar reply-bar' },
          h('span', { text: `↩ Ответ ${this.replyTo.sender}: ${this.replyTo.text}` }),
          h('button', { type: 'button', class: 'x', title: 'Не отвечать', onclick: () => { this.replyTo = null; this.renderExtras(); } }, '✕')));
      }
      if (this.staged.length) {
        const chips = this.staged.map((file, index) => {
          const chip = h('span', { class: 'chip' });
          if (file.type.startsWith('image/')) {
            const img = h('img', { alt: '', src: URL.createObjectURL(file) });
            img.addEventListener('load', () => URL.revokeObjectURL(img.src));
            chip.append(img);
          }
          chip.append(h('span', { text: file.name }),
            h('button', { type: 'button', class: 'x', title: 'Убрать', onclick: () => { this.staged.splice(index, 1); this.renderExtras(); } }, '✕'));
          return chip;
        });
        const asFiles = h('input', { type: 'checkbox', checked: this.asFiles });
        asFiles.addEventListener('change', () => { this.asFiles = asFiles.checked; });
        parts.push(h('div', { class: 'bar staged' }, chips,
          h('label', { class: 'as-file' }, asFiles, ' без сжатия (как файл)'),
          h('small', { text: 'Текст в поле ввода станет подписью.' })));
      }
      this.extras.replaceChildren(...parts);
    }

    // Renders a chat; rebuilt only when its content changed, keeping the reader's scroll position.
    render(messages, key) {
      const me = this.options.me();
      const signature = JSON.stringify([key, me, messages]);
      if (signature === this.signature) return;
      if (this.view !== key) this.stuck = true;
      this.signature = signature;
      this.view = key;
      const rows = [];
      let day = null;
      for (const group of groupAlbums(messages)) {
        if (group.day !== day) {
          day = group.day;
          rows.push(h('div', { class: 'day', text: day }));
        }
        rows.push(this.messageElement(group, me));
      }
      if (!rows.length) rows.push(h('div', { class: 'empty', text: this.options.empty }));
      this.stack.replaceChildren(...rows);
      if (this.stuck) this.scrollToEnd();
    }

    scrollToEnd() {
      this.list.scrollTop = this.list.scrollHeight;
      this.autoTop = this.list.scrollTop;
    }

    messageElement(group, me) {
      if (group.kind === 'service') return h('div', { class: 'service', dataset: { id: group.id }, text: group.text });
      const mine = !group.from_bot && group.sender_id === me;
      const side = group.from_bot ? 'bot' : mine ? 'me' : 'other';
      const captioned = group.items.find((m) => m.text) || group;
      const bubble = h('div', { class: 'bubble' });
      if (!mine && this.options.names) bubble.append(h('div', { class: 'sender', text: group.sender }));
      if (group.forwarded) bubble.append(h('div', { class: 'forwarded', text: `Переслано от ${group.forwarded}` }));
      if (group.reply) {
        bubble.append(h('div', {
          class: 'quote',
          title: 'Показать сообщение',
          onclick: () => {
            const target = this.list.querySelector(`[data-id="${group.reply.id}"]`);
            if (target) { target.scrollIntoView({ block: 'center' }); target.classList.add('flash'); setTimeout(() => target.classList.remove('flash'), 900); }
          },
        }, h('b', { text: group.reply.sender }), h('span', { text: group.reply.text })));
      }
      const media = group.items.filter((m) => m.media).map((m) => mediaElement(m.media));
      if (media.length) bubble.append(h('div', { class: media.length > 1 ? 'media album' : 'media' }, media));
      if (captioned.text) {
        const onCommand = (command) => this.sendText(command);
        bubble.append(h('div', { class: 'text' }, richText(captioned.text, captioned.entities, onCommand)));
      }
      bubble.append(h('div', { class: 'meta' },
        group.pinned ? h('span', { text: '📌' }) : null,
        group.edited ? h('span', { text: 'изменено' }) : null,
        h('span', { text: group.time }),
        h('button', {
          type: 'button',
          class: 'reply-action',
          title: 'Ответить на это сообщение',
          onclick: () => { this.replyTo = { id: group.id, sender: group.sender, text: (captioned.text || 'вложение').slice(0, 60) }; this.renderExtras(); this.input.focus(); },
        }, '↩')));
      const row = h('div', { class: `msg ${side}`, dataset: { id: group.id } }, bubble);
      if (group.buttons) {
        row.append(h('div', { class: 'ikb' }, group.buttons.map((buttonRow) => h('div', { class: 'ikb-row' },
          buttonRow.map((button) => this.inlineButton(group, button))))));
      }
      return row;
    }

    inlineButton(message, button) {
      if (button.url) {
        return h('a', { class: 'ikb-btn', href: SAFE_LINK.test(button.url) ? button.url : null, target: '_blank', rel: 'noopener noreferrer' },
          button.text, h('small', { text: ' ↗' }));
      }
      if (button.copy !== undefined) {
        return h('button', {
          type: 'button',
          class: 'ikb-btn',
          onclick: async () => {
            try { await navigator.clipboard.writeText(button.copy); toast('Скопировано'); } catch (error) { toast(button.copy); }
          },
        }, button.text);
      }
      if (button.unsupported) {
        return h('button', { type: 'button', class: 'ikb-btn', disabled: true, title: 'Песочница не умеет такие кнопки' }, button.text);
      }
      return h('button', { type: 'button', class: 'ikb-btn', onclick: () => this.press(message, button) }, button.text);
    }
  }

  // --- the two panes ----------------------------------------------------------------------------

  const partnerPanel = new ChatPanel('partner', {
    me: () => ui.partner,
    where: () => (ui.partner ? { user: ui.partner, chat: null, thread: null } : null),
    commands: () => (ui.state ? ui.state.chats[ui.partner].commands : []),
    names: false,
    empty: 'Чат пуст. Нажмите /start или кнопку меню ниже.',
  });

  const groupPanel = new ChatPanel('group', {
    me: () => ui.engineer,
    where: () => (ui.engineer && ui.state ? { user: ui.engineer, chat: ui.state.group.id, thread: ui.topic } : null),
    commands: () => (ui.state ? ui.state.group.commands[ui.engineer] || [] : []),
    names: true,
    empty: 'В этой теме пока нет сообщений.',
  });

  let keyboardOpen = false;

  function renderPersonas(container, people, current, unread, choose) {
    const buttons = people.map((p) => {
      const count = unread(p.id);
      return h('button', {
        type: 'button',
        class: `persona${p.id === current ? ' active' : ''}`,
        dataset: { user: p.id },
        title: `${p.name}${p.username ? ` · @${p.username}` : ''} · ${p.role}`,
        onclick: () => choose(p.id),
      }, h('span', { text: p.first_name }), h('small', { text: p.role }), count ? h('span', { class: 'badge', text: count }) : null);
    });
    container.replaceChildren(...buttons);
  }

  function unreadIn(messages, key, me) {
    const seen = ui.seen[key] || 0;
    return messages.filter((m) => m.id > seen && m.sender_id !== me && m.kind !== 'service').length;
  }

  function markSeen(key, messages) {
    if (messages.length) ui.seen[key] = Math.max(ui.seen[key] || 0, messages[messages.length - 1].id);
  }

  function renderPartner(state) {
    const chat = state.chats[ui.partner];
    renderPersonas($('#partner-tabs'), state.partners, ui.partner,
      (id) => (id === ui.partner ? 0 : unreadIn(state.chats[id].messages, `p${id}`, id)),
      (id) => { ui.partner = id; keyboardOpen = false; partnerPanel.replyTo = null; partnerPanel.renderExtras(); render(); });
    partnerPanel.render(chat.messages, `p${ui.partner}`);
    markSeen(`p${ui.partner}`, chat.messages);
    renderKeyboard(chat.keyboard);
  }

  function renderKeyboard(keyboard) {
    const box = $('#partner-kb');
    $('#partner-input').placeholder = (keyboard && keyboard.placeholder) || 'Сообщение';
    if (!keyboard) {
      box.replaceChildren();
      return;
    }
    if (keyboard.collapsed && !keyboardOpen) {
      box.replaceChildren(h('button', { type: 'button', class: 'kb-toggle', onclick: () => { keyboardOpen = true; render(); } }, '⌨ Показать клавиатуру бота'));
      return;
    }
    box.replaceChildren(...keyboard.rows.map((row) => h('div', { class: 'kb-row' }, row.map((key) => h('button', {
      type: 'button',
      class: `kb-btn${key.contact ? ' contact' : ''}`,
      disabled: key.unsupported,
      title: key.contact ? 'Отправит ваш номер телефона' : undefined,
      onclick: () => {
        keyboardOpen = false;
        if (key.contact) partnerPanel.shareContact();
        else partnerPanel.sendText(key.text);
      },
    }, key.text)))));
  }

  function renderGroup(state) {
    const group = state.group;
    $('#group-title').textContent = group.title;
    const topicKey = (thread) => `g${thread === null ? 'general' : thread}`;
    renderPersonas($('#engineer-tabs'), state.engineers, ui.engineer, () => 0,
      (id) => { ui.engineer = id; render(); });

    let topics = group.topics;
    if (!group.is_forum) topics = [];
    const live = new Set(topics.map((t) => t.thread));
    if (!ui.topicChosen && topics.length > 1) {
      // On first sight open the busiest story: the newest case topic.
      const newest = topics.slice(1).reduce((a, b) => (b.last_id > a.last_id ? b : a));
      ui.topic = newest.thread;
      ui.topicChosen = true;
    }
    if (!live.has(ui.topic)) ui.topic = null;

    const ordered = topics.slice(0, 1).concat(topics.slice(1).sort((a, b) => b.last_id - a.last_id));
    $('#topics').hidden = !group.is_forum;
    $('#topics').replaceChildren(...ordered.map((topic) => {
      const inside = group.messages.filter((m) => m.thread === topic.thread);
      const count = topic.thread === ui.topic ? 0 : unreadIn(inside, topicKey(topic.thread), ui.engineer);
      return h('button', {
        type: 'button',
        class: `topic${topic.thread === ui.topic ? ' active' : ''}${topic.closed ? ' closed' : ''}`,
        dataset: { thread: topic.thread === null ? 'general' : topic.thread },
        onclick: () => { ui.topic = topic.thread; ui.topicChosen = true; groupPanel.replyTo = null; groupPanel.renderExtras(); render(); },
      },
      topicDot(topic),
      h('span', { class: 'topic-body' },
        h('span', { class: 'topic-name', text: `${topic.closed ? '🔒 ' : ''}${topic.name}` }),
        h('small', { class: 'topic-last', text: topic.last || 'нет сообщений' })),
      count ? h('span', { class: 'badge', text: count }) : null);
    }));

    const current = topics.find((t) => t.thread === ui.topic);
    $('#topic-title').textContent = group.is_forum ? (current ? current.name : 'Общий чат') : group.title;
    $('#topic-status').textContent = current && current.closed ? 'тема закрыта' : `${current ? current.count : group.messages.length} сообщ.`;
    const shown = group.is_forum ? group.messages.filter((m) => m.thread === ui.topic) : group.messages;
    groupPanel.render(shown, topicKey(ui.topic));
    markSeen(topicKey(ui.topic), shown);
  }

  function topicDot(topic) {
    const dot = h('span', { class: 'dot', text: topic.thread === null ? '#' : '' });
    // The page's policy blocks style attributes; the CSSOM is allowed.
    if (topic.color) dot.style.background = topic.color;
    return dot;
  }

  let presetsShown = null;

  function renderClock(clock) {
    $('#clock-label').textContent = clock.label;
    const desk = $('#desk-status');
    desk.textContent = clock.desk ? `${clock.open ? '🟢' : '🌙'} ${clock.desk}` : '';
    desk.className = `desk ${clock.open ? 'open' : 'closed'}`;
    desk.title = desk.textContent;  // cut short on a phone
    const input = $('#clock-input');
    if (document.activeElement !== input && !input.dataset.dirty) input.value = clock.value;
    const real = $('#clock-real');
    real.hidden = !clock.can_reset;
    real.disabled = clock.real;
    const presets = JSON.stringify(clock.presets);
    if (presets !== presetsShown) {
      presetsShown = presets;
      $('#clock-preset').replaceChildren(h('option', { value: '', text: 'Перевести часы…' }),
        ...clock.presets.map((p) => h('option', { value: p.at, text: p.label })));
    }
  }

  // --- narrow screens: the two panes as tabs ---------------------------------------------------------

  function paneTotals(state) {
    // What the other side wrote: the bot's messages to partners, everything in the group.
    const partner = Object.values(state.chats).reduce((n, chat) => n + chat.messages.filter((m) => m.from_bot).length, 0);
    return { partner, group: state.group.messages.length, mail: state.helpdesk ? state.helpdesk.mails.length : 0 };
  }

  function renderPaneTabs(state) {
    document.body.dataset.pane = ui.pane;
    const totals = paneTotals(state);
    for (const tab of document.querySelectorAll('#pane-tabs [data-pane]')) {
      const pane = tab.dataset.pane;
      const inView = !narrow.matches || pane === ui.pane;
      if (inView || ui.paneSeen[pane] === null) ui.paneSeen[pane] = totals[pane];
      const fresh = totals[pane] - ui.paneSeen[pane];
      tab.setAttribute('aria-selected', String(pane === ui.pane));
      const badge = $('.badge', tab);
      badge.hidden = fresh <= 0;
      badge.textContent = fresh > 0 ? String(fresh) : '';
    }
  }

  for (const tab of document.querySelectorAll('#pane-tabs [data-pane]')) {
    tab.addEventListener('click', () => { ui.pane = tab.dataset.pane; render(); });
  }
  narrow.addEventListener('change', () => render());
  $('#clock-toggle').addEventListener('click', (event) => {
    const open = document.body.classList.toggle('clock-open');
    event.currentTarget.setAttribute('aria-expanded', String(open));
  });

  function render() {
    const state = ui.state;
    if (!state) return;
    renderPaneTabs(state);
    if (!state.chats[ui.partner]) ui.partner = state.partners[0].id;
    if (!state.engineers.some((e) => e.id === ui.engineer)) ui.engineer = state.engineers[0].id;
    $('#bot-name').textContent = state.bot.name;
    $('#bot-username').textContent = `@${state.bot.username} · бот`;
    renderClock(state.clock);
    renderPartner(state);
    renderGroup(state);
    renderMail(state);
  }

  // --- the HelpDesk's mailbox -------------------------------------------------------------------

  function renderMail(state) {
    const pane = $('#mail-pane');
    const helpdesk = state.helpdesk;
    pane.hidden = !helpdesk;
    $('#pane-tabs [data-pane="mail"]').hidden = !helpdesk;
    if (!helpdesk) return;
    $('#mail-address').textContent = helpdesk.address;
    const list = $('#mail-list');
    const shown = list.dataset.count === String(helpdesk.mails.length) && list.dataset.chosen === String(ui.mail);
    if (!shown) {
      list.replaceChildren(...(helpdesk.mails.length ? helpdesk.mails.map(mailCard)
        : [h('div', { class: 'empty', text: 'Бот ещё не отправлял писем в HelpDesk' })]));
      list.dataset.count = String(helpdesk.mails.length);
      list.dataset.chosen = String(ui.mail);
      list.scrollTop = list.scrollHeight;
    }
    const chosen = helpdesk.mails.find((m) => m.number === ui.mail);
    $('#mail-reply-to').textContent = chosen ? `Ответ на: ${chosen.subject}` : 'Выберите письмо, чтобы ответить от имени HelpDesk';
    $('#mail-send').disabled = !chosen;
  }

  function mailCard(mail) {
    const header = (name, value) => (value ? h('div', { class: 'mail-header' }, h('b', { text: `${name}: ` }), value) : null);
    return h('article', { class: `mail-card${mail.number === ui.mail ? ' chosen' : ''}`, dataset: { mail: String(mail.number) } },
      h('div', { class: 'mail-subject', text: mail.subject }),
      header('От', mail.from), header('Кому', mail.to), header('Дата', mail.date),
      header('Message-ID', mail.message_id), header('In-Reply-To', mail.in_reply_to),
      h('pre', { class: 'mail-text', text: mail.text }),
      mail.files.length ? h('div', { class: 'mail-files' }, '📎 ', mail.files.map((f) => f.name).join(', ')) : null,
      h('button', { type: 'button', class: 'mail-answer', text: '↩️ Ответить', onclick: () => { ui.mail = mail.number; render(); $('#mail-text').focus(); } }));
  }

  $('#mail-reply').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('#mail-text').value;
    if (!ui.mail || !text.trim()) { toast('Напишите ответ', 'error'); return; }
    const result = await api('/api/mail-reply', { mail: ui.mail, text });
    if (result) {
      $('#mail-text').value = '';
      toast(result.note, result.outcome === 'relayed' ? 'info' : 'error');
    }
  });
  $('#mail-toggle').addEventListener('click', (event) => {
    const open = document.body.classList.toggle('mail-open');
    event.currentTarget.setAttribute('aria-expanded', String(open));
  });

  // --- clock ------------------------------------------------------------------------------------

  async function setClock(at) {
    const result = await api('/api/clock', { at });
    if (result) {
      $('#clock-input').dataset.dirty = '';
      toast(at ? 'Часы переведены' : 'Часы идут по реальному времени');
    }
  }

  $('#clock').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('#clock-input').value;
    if (value) setClock(value);
  });
  $('#clock-input').addEventListener('input', (event) => { event.target.dataset.dirty = '1'; });
  $('#clock-preset').addEventListener('change', (event) => {
    if (event.target.value) setClock(event.target.value);
    event.target.value = '';
  });
  $('#clock-real').addEventListener('click', () => setClock(null));

  // --- the stream -------------------------------------------------------------------------------

  function connect() {
    const conn = $('#conn');
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => {
      conn.textContent = 'онлайн';
      conn.className = 'conn online';
    });
    source.addEventListener('state', (event) => {
      ui.state = JSON.parse(event.data);
      render();
      document.body.dataset.ready = '1';
    });
    // EventSource reconnects by itself; the badge says why nothing moves meanwhile.
    source.addEventListener('error', () => {
      conn.textContent = 'нет связи — песочница остановлена?';
      conn.className = 'conn offline';
    });
  }

  connect();

  // --- /texts: every text the bot can send, with sample values, forty to a part -------------------

  async function showTexts() {
    const PART = 40;
    const items = await (await fetch('/api/texts')).json();
    const parts = Math.ceil(items.length / PART);
    const part = Math.min(Math.max(Number(new URLSearchParams(location.search).get('part') || 1), 1), parts);
    const problems = items.filter((item) => item.problem).length;
    $('#texts-count').textContent = `${items.length} текстов${problems ? `, не показано: ${problems}` : ''}`;
    $('#texts-parts').replaceChildren(...Array.from({ length: parts }, (_, n) => h('a', {
      href: `/texts?part=${n + 1}`, class: n + 1 === part ? 'active' : undefined, text: String(n + 1),
    })));
    let module = null;
    const shown = [];
    for (const item of items.slice((part - 1) * PART, part * PART)) {
      if (item.module !== module) {
        module = item.module;
        shown.push(h('div', { class: 'day', text: `${module} · ${item.audience}` }));
      }
      const body = item.text === null ? h('div', { class: 'text problem', text: item.problem })
        : h('div', { class: 'text' }, richText(item.text, item.entities));
      shown.push(h('div', { class: 'msg bot', dataset: { name: item.name } },
        h('div', { class: 'bubble' }, h('div', { class: 'sender', text: item.name }), body,
          item.text !== null && item.problem ? h('div', { class: 'problem', text: item.problem }) : null)));
    }
    $('#texts').replaceChildren(...shown);
    document.body.dataset.ready = '1';
  }
})();

// What a learner would see go wrong in the open notebook, as a list of sentences (empty: nothing).
// Evaluated by test_run_all.py with page.evaluate after Run All, once the whole notebook is on screen.
async () => {
  const problems = [];
  const notebook = document.querySelector('.jp-NotebookPanel .jp-Notebook');
  if (!notebook) return ['no notebook on the page'];
  const textOf = (selector) => [...notebook.querySelectorAll(selector)].map((e) => e.innerText).join('\n');
  const outputs = textOf('.jp-OutputArea');
  const prose = textOf('.jp-MarkdownCell .jp-RenderedMarkdown');

  const patterns = [
    [outputs, /WidgetError[^\n]*/g, 'WidgetError'],
    [outputs, /Error displaying widget[^\n]*/g, 'a widget did not render'],
    [outputs, /Failed to load model class[^\n]*/g, 'a widget did not load'],
    [outputs, /<Figure size [^>]*>/g, 'a figure printed as text instead of drawn'],
    [outputs, /<Axes: [^\n]*>|<matplotlib\.[\w.]+ (object )?at 0x[0-9a-f]+>/g, 'a stray matplotlib repr'],
    [outputs, /Glyph \d+[^\n]*missing from font[^\n]*/g, 'tofu in a figure'],
    // A session Run All started and hung up at once shows its cost as this (07's live cells did).
    [outputs, /ConversationCost\(no usage yet[^\n]*/g, 'a session that never talked'],
    [outputs + '\n' + prose, /[\u25A1\uFFFD]/g, 'tofu (□ or �) in the text'],
  ];
  for (const [text, pattern, what] of patterns) {
    const found = text.match(pattern);
    if (found) problems.push(`${what}: ${[...new Set(found)].slice(0, 3).join(' | ')}`.slice(0, 400));
  }

  // Figures: every image output must have decoded to a real picture.
  const images = [...notebook.querySelectorAll('.jp-OutputArea-output img')];
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const broken = images.filter((img) => !(img.complete && img.naturalWidth > 0));
  if (broken.length) {
    problems.push(`${broken.length} of ${images.length} figures did not render: ` +
                  broken.slice(0, 3).map((img) => img.src.slice(0, 60)).join(' | '));
  }

  // Pop-ups (news, errors) over the notebook.
  for (const toast of document.querySelectorAll('.Toastify__toast')) {
    problems.push(`a pop-up: ${toast.innerText.trim().slice(0, 200)}`);
  }

  // Tofu: characters no installed font can draw come out as the font's .notdef box. Draw each non-ASCII
  // character on a canvas in the font its element uses and compare with a code point no font has.
  const byFont = new Map();
  const walker = document.createTreeWalker(notebook, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const chars = [...node.textContent].filter((c) => c.codePointAt(0) > 0x7e && !/\s/u.test(c));
    if (!chars.length || !node.parentElement) continue;
    const family = getComputedStyle(node.parentElement).fontFamily;
    if (!byFont.has(family)) byFont.set(family, new Set());
    chars.forEach((c) => byFont.get(family).add(c));
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (family, c) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = `32px ${family}`;
    ctx.textBaseline = 'top';
    ctx.fillText(c, 4, 4);
    return ctx.getImageData(0, 0, 48, 48).data;
  };
  const same = (a, b) => a.every((v, i) => v === b[i]);
  for (const [family, chars] of byFont) {
    const notdef = draw(family, '\u{10FFFD}');
    if (notdef.every((v) => v === 0)) continue;  // an invisible .notdef: nothing to compare with
    const tofu = [...chars].filter((c) => same(draw(family, c), notdef));
    if (tofu.length) {
      problems.push(`tofu: no installed font draws ${tofu.slice(0, 30).join('')} (font-family ${family}); ` +
                    'install fonts that cover it (Debian fonts-noto-cjk, fonts-noto-color-emoji)');
    }
  }
  return problems;
}

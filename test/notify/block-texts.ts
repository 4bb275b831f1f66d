// Every text of a Slack message's blocks, in order: what a reader sees, for the notify tests to search.
import type { Block } from '../../lib/domain/notify.ts';

export const blockTexts = (blocks: Block[]): string[] =>
  blocks.flatMap((b) =>
    b.type === 'header'
      ? [b.text.text]
      : b.type === 'section'
        ? [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)]
        : b.type === 'context'
          ? b.elements.map((e) => e.text)
          : [],
  );

// Progress on long work: a bar redrawn in place on a terminal, a line every tenth on a log.

export interface Progress {
  update(label: string, done: number, of: number): void;
  done(): void;
}

export function createProgress(write: (text: string) => void, interactive: boolean): Progress {
  let lastTenth = new Map<string, number>();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(label, done, of) {
      const fraction = of > 0 ? Math.min(1, done / of) : 1;
      if (interactive) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < of) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round(fraction * width);
        write(
          `\r${label.padEnd(20)} [${'█'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)} %`,
        );
        drawn = true;
        if (done >= of) {
          write('\n');
          drawn = false;
        }
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth !== (lastTenth.get(label) ?? -1) && (tenth % 5 === 0 || done >= of)) {
        lastTenth.set(label, tenth);
        write(`${label}: ${tenth * 10} %\n`);
      }
    },
    done() {
      if (drawn) write('\n');
      drawn = false;
      lastTenth = new Map();
    },
  };
}

/**
 * The word vocabulary of the `words-v1` tokenizer: every word the simulator's task goals use,
 * RLBench's colour names and common words of tabletop manipulation instructions. The order is
 * frozen: a word's id is its index plus the special ids, so editing this list makes a new
 * tokenizer version, not a change to this one (checkpoints record the kind they were trained with).
 */
export const WORDS_V1: readonly string[] = [
  // colours (RLBench's 20 first, then common others)
  'red', 'maroon', 'lime', 'green', 'blue', 'navy', 'yellow', 'cyan', 'magenta', 'silver',
  'gray', 'orange', 'olive', 'purple', 'teal', 'azure', 'violet', 'rose', 'black', 'white',
  'grey', 'pink', 'brown', 'gold', 'beige', 'dark', 'light',
  // numbers
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10',
  'first', 'second', 'third', 'last', 'next', 'all', 'both', 'each', 'every', 'other', 'another',
  // objects and places
  'block', 'blocks', 'cube', 'cubes', 'box', 'boxes', 'ball', 'balls', 'sphere', 'spheres',
  'target', 'targets', 'button', 'buttons', 'drawer', 'drawers', 'handle', 'handles', 'item',
  'items', 'object', 'objects', 'thing', 'jar', 'jars', 'lid', 'lids', 'bowl', 'bowls', 'tap',
  'taps', 'faucet', 'water', 'plane', 'square', 'area', 'zone', 'spot', 'tower', 'stack',
  'pile', 'cup', 'cups', 'plate', 'bottle', 'can', 'shelf', 'cabinet', 'door', 'table',
  'gripper', 'hand', 'panda', 'robot', 'arm', 'fingers', 'peg', 'hole', 'switch', 'lamp',
  'container', 'basket', 'tray', 'mug', 'pen', 'tool', 'marker', 'circle', 'line', 'edge',
  'centre', 'center', 'corner', 'side', 'end', 'goal', 'position',
  // where
  'top', 'bottom', 'middle', 'left', 'right', 'front', 'back', 'up', 'down', 'upper', 'lower',
  'near', 'far', 'high', 'low', 'above', 'below', 'over', 'under', 'beside', 'behind',
  'between', 'inside', 'outside', 'in', 'into', 'on', 'onto', 'off', 'out', 'at', 'to', 'from',
  'of', 'with', 'by', 'for', 'until', 'away', 'together', 'closest', 'nearest', 'farthest',
  'leftmost', 'rightmost', 'biggest', 'smallest', 'big', 'small', 'large', 'tall', 'short',
  // actions
  'pick', 'lift', 'raise', 'grasp', 'grab', 'grip', 'hold', 'take', 'pull', 'push', 'press',
  'slide', 'open', 'close', 'shut', 'put', 'place', 'drop', 'release', 'reach', 'touch', 'turn',
  'rotate', 'twist', 'screw', 'unscrew', 'build', 'move', 'bring', 'carry', 'set',
  'insert', 'remove', 'sweep', 'wipe', 'pour', 'go', 'make', 'using', 'use', 'hit',
  'point', 'stop', 'start', 'finish', 'return', 'leave', 'sort', 'align', 'flip', 'knock', 'stand',
  // function words
  'the', 'a', 'an', 'and', 'then', 'it', 'its', 'them', 'is', 'are', 'be', 'that', 'this',
  'these', 'those', 'there', 'so', 'please', 'now', 'again', 'not', 'no',
  'only', 'just', 'same', 'colour', 'color', 'coloured', 'colored', 'ones', 'times',
];

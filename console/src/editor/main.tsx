import { render } from 'preact';
import '../shared/styles.css';
import { EditorApp } from './editor-app.js';

render(<EditorApp />, document.getElementById('app')!);

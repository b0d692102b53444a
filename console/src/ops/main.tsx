import { render } from 'preact';
import '../shared/styles.css';
import { OpsApp } from './ops-app.js';

render(<OpsApp />, document.getElementById('app')!);

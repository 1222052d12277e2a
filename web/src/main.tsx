import { render } from 'preact'
import { App } from './components/App'
import { dropTokenFromUrl } from './router'
import './style.css'

dropTokenFromUrl()
render(<App />, document.getElementById('app')!)

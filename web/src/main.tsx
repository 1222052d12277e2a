import { render } from 'preact'
import { App } from './components/App'
import { setToken } from './api'
import { takeTokenFromUrl } from './router'
import './style.css'

takeTokenFromUrl(setToken)
render(<App />, document.getElementById('app')!)
